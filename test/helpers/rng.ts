/** The seeded PRNG lives in src/util/rng.ts (the game day soak draws with it too): one generator for product and tests. */
export {rng} from '../../src/util/rng.js'
