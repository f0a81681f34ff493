'use strict'
// An in-place shuffle (Fisher-Yates) driven by a seeded generator, so that a benchmark's order of calls is
// mixed anew every iteration and yet the same from run to run.
//
//   const shuffle = require('./shuffle').seeded(20261206)
//   shuffle(array)   // returns array, shuffled in place

function seeded (seed) {
  let state = seed >>> 0
  const random = () => { state = (state * 1103515245 + 12345) % 2147483648; return state / 2147483648 }
  return array => {
    for (let k = array.length - 1; k > 0; k--) {
      const j = Math.floor(random() * (k + 1))
      const t = array[k]
      array[k] = array[j]
      array[j] = t
    }
    return array
  }
}

module.exports = { seeded }
