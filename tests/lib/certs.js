'use strict'
// certs.js: certificates for the TLS tests, made at run time with Debian's openssl command in a temp dir.
//
//   const certs = require('<repo>/tests/lib/certs')
//   const c = certs.make({ ips: ['10.213.0.1'] })   // extra IP SANs for the server certificate (optional)
//   c.dir                          the temp dir (c.remove() deletes it; also removed when the process exits)
//   c.ca                           the test CA's certificate (PEM file)
//   c.server  / c.serverKey        signed by the CA for localhost, 127.0.0.1 and ::1 (DNS and IP SANs) + ips
//   c.wrongName / c.wrongNameKey   signed by the CA for wrong.example only
//   c.expired / c.expiredKey       signed by the CA for localhost and 127.0.0.1, valid only in January 2020
//   c.client / c.clientKey         a client certificate signed by the CA (CN metad)
//   c.otherCa                      another CA, which nothing trusts
//   c.rogueClient / c.rogueClientKey  a client certificate signed by that other CA
//
// Keys are EC P-256 (quick to make), unencrypted. `openssl ca` signs, so that a certificate can be given
// any validity period (`openssl x509 -days` cannot start in the past).

const { execFileSync } = require('child_process')
const fs = require('fs')
const os = require('os')
const path = require('path')

function openssl (args, cwd) {
  try {
    return execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' })
  } catch (e) {
    throw new Error(`openssl ${args.join(' ')} failed (is Debian's openssl installed? run deploy/setup): ` +
      `${e.stderr || e.message}`)
  }
}

// A CA in `dir`/`name` (its own index and serial, as `openssl ca` wants them).
function makeCa (dir, name) {
  const home = path.join(dir, name)
  fs.mkdirSync(path.join(home, 'issued'), { recursive: true })
  fs.writeFileSync(path.join(home, 'index.txt'), '')
  fs.writeFileSync(path.join(home, 'serial'), '1000\n')
  const cert = path.join(dir, `${name}.pem`)
  const key = path.join(home, 'ca.key')
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
    '-subj', `/CN=wamp-metad test ${name}`, '-keyout', key, '-out', cert,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'])
  const config = path.join(home, 'ca.cnf')
  fs.writeFileSync(config, [
    '[ca]', 'default_ca = this_ca', '[this_ca]', `dir = ${home}`, 'database = $dir/index.txt',
    'new_certs_dir = $dir/issued', 'serial = $dir/serial', `certificate = ${cert}`, `private_key = ${key}`,
    'default_md = sha256', 'policy = any_name', 'copy_extensions = copy', 'unique_subject = no',
    'x509_extensions = leaf', '[any_name]', 'commonName = supplied', '[leaf]', 'basicConstraints = CA:FALSE', ''
  ].join('\n'))
  return { cert, config }
}

// A key and a certificate signed by `ca` for `cn` with these SANs and validity (-days, or start/end dates).
function issue (dir, ca, name, { cn, sans = [], days = 2, startdate, enddate }) {
  const key = path.join(dir, `${name}.key`)
  const csr = path.join(dir, `${name}.csr`)
  const cert = path.join(dir, `${name}.pem`)
  const req = ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${cn}`,
    '-keyout', key, '-out', csr]
  if (sans.length) req.push('-addext', `subjectAltName=${sans.join(',')}`)
  openssl(req)
  const sign = ['ca', '-batch', '-notext', '-config', ca.config, '-in', csr, '-out', cert]
  if (startdate) sign.push('-startdate', startdate, '-enddate', enddate)
  else sign.push('-days', String(days))
  openssl(sign)
  fs.rmSync(csr)
  return { cert, key }
}

const made = new Set()
process.on('exit', () => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true })
})

function make ({ ips = [] } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wamp-metad-certs-'))
  made.add(dir)
  const ca = makeCa(dir, 'ca')
  const other = makeCa(dir, 'other-ca')
  const local = ['DNS:localhost', 'IP:127.0.0.1', 'IP:::1']
  const server = issue(dir, ca, 'server', { cn: 'localhost', sans: [...local, ...ips.map(ip => `IP:${ip}`)] })
  const wrongName = issue(dir, ca, 'wrong-name', { cn: 'wrong.example', sans: ['DNS:wrong.example'] })
  const expired = issue(dir, ca, 'expired', { cn: 'localhost', sans: local, startdate: '20200101000000Z',
    enddate: '20200201000000Z' })
  const client = issue(dir, ca, 'client', { cn: 'metad' })
  const rogue = issue(dir, other, 'rogue-client', { cn: 'metad' })
  return {
    dir,
    ca: ca.cert,
    otherCa: other.cert,
    server: server.cert,
    serverKey: server.key,
    wrongName: wrongName.cert,
    wrongNameKey: wrongName.key,
    expired: expired.cert,
    expiredKey: expired.key,
    client: client.cert,
    clientKey: client.key,
    rogueClient: rogue.cert,
    rogueClientKey: rogue.key,
    remove () {
      made.delete(dir)
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }
}

module.exports = { make }
