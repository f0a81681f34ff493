'use strict'
// WAMP serializers. JSON carries binary as a string "\0" + base64 (WAMP spec); msgpack uses
// @msgpack/msgpack, which keeps integers up to 2^53 as unsigned integers (msgpack-lite would send float64).

const msgpack = require('@msgpack/msgpack')

function jsonReplacer (key, value) {
  if (value instanceof Uint8Array) return '\u0000' + Buffer.from(value).toString('base64')
  if (value && value.type === 'Buffer' && Array.isArray(value.data) && this[key] instanceof Uint8Array) {
    return '\u0000' + Buffer.from(this[key]).toString('base64')
  }
  return value
}

function jsonReviver (key, value) {
  if (typeof value === 'string' && value.charCodeAt(0) === 0) return Buffer.from(value.slice(1), 'base64')
  return value
}

const encoder = new msgpack.Encoder({ ignoreUndefined: true })
const decoder = new msgpack.Decoder({ maxStrLength: 16 << 20, maxBinLength: 16 << 20, maxArrayLength: 4 << 20,
  maxMapLength: 4 << 20 })

const codecs = {
  json: {
    name: 'json',
    binary: false,
    encode: msg => Buffer.from(JSON.stringify(msg, jsonReplacer), 'utf8'),
    encodeText: msg => JSON.stringify(msg, jsonReplacer),
    decode: buf => JSON.parse(Buffer.isBuffer(buf) ? buf.toString('utf8') : String(buf), jsonReviver)
  },
  msgpack: {
    name: 'msgpack',
    binary: true,
    encode: msg => {
      const u8 = encoder.encode(msg)
      return Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength)
    },
    decode: buf => decoder.decode(buf)
  }
}

module.exports = { codecs }
