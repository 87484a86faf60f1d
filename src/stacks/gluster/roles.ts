/** Inventory roles of the Gluster stack: server nodes (glusterd + bricks) and FUSE clients. */
export const GLUSTER_ROLE = 'gluster-node'
export const GLUSTER_CLIENT_ROLE = 'gluster-client'
