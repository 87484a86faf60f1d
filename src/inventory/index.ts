export * from './schema.js'
export * from './inventory.js'
export * from './ansible.js'
