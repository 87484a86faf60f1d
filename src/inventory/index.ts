export * from './schema.js'
export * from './inventory.js'
