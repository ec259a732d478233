// cluster-key-slot 1.1.1 (the version ioredis pins, shared with it) ships no types.
declare module 'cluster-key-slot' {
  /** Redis Cluster hash slot (0..16383) of a key, honouring `{hash tags}`. */
  function calculateSlot(key: string | Buffer): number;
  export default calculateSlot;
}
