/**
 * Every Redis key the service owns (BullMQ's own keys live under `<prefix>:<queue>:…`). One function
 * per key so names never drift. On Redis Cluster use a hash-tagged prefix (`{tq-entra}`) so that the
 * multi-key scripts (snapshot commit, locks) stay in one slot.
 *
 *   <prefix>:state:snap:<source>:<collection>        committed snapshot blob (see snapshot-codec.ts)
 *   <prefix>:state:snapmeta:<source>:<collection>    hash: runId, committedAt, counts (JSON fields)
 *   <prefix>:state:stage:<runId>:<chunk>             staged ranges of one ingest chunk (expires)
 *   <prefix>:state:run:<runId>                       hash: run record (source, collection, status, counts)
 *   <prefix>:state:rejects:<runId>                   hash: chunk -> counts of one run (staging id)
 *   <prefix>:state:rejects-ex:<source>:<collection>  hash: reason -> latest run's first examples
 *   <prefix>:state:runs:<kind>:<name>                sorted set: the last runs kept (run-store.ts)
 *   <prefix>:state:owned:<target>                    set: ranges this service wrote to the target
 *   <prefix>:state:lock:<target>                     reconcile lock (value = fencing token)
 *   <prefix>:state:fence:<target>                    fencing counter
 *   <prefix>:state:last:<kind>:<name>                hash: last run of a source collection or target
 *   <prefix>:state:owners:<tenant id>                hash: Graph object id -> target managing it
 *                                                    (owned-ranges-store.ts, objectOwnersKey)
 *   <prefix>:state:grace:<target>                    hash: range in removal grace -> first absent (ms)
 *                                                    (grace-store.ts)
 *   <prefix>:state:status:<target>                   string: what Entra held after the target's last
 *                                                    applied reconcile (target-status-store.ts)
 *   <prefix>:state:wl:<source>:<collection>          committed whitelist of a source collection
 *   <prefix>:state:wlstage:<runId>                   whitelist staged by one collect attempt (expires)
 *   <prefix>:state:killswitch:<target>               JSON: the target's kill switch (who, when, why, the
 *                                                    policy state it holds; kill-switch-store.ts)
 *   <prefix>:state:policyid:<target>                 id of the target's policy as the last reconcile left
 *                                                    it (a hint: the kill switch PATCHes it without a read)
 *   <prefix>:state:wb:<source>                       hash: ThreatQ indicator id -> what write-back wrote
 *                                                    (one per ThreatQ source: tags and attributes live on
 *                                                    the indicator, shared by all its collections)
 *   <prefix>:state:hist:<target>                     sorted set: run id by recorded time (ms) (history-store.ts)
 *   <prefix>:state:histent:<target>                  hash: run id -> history entry (JSON: a diff)
 *   <prefix>:state:histhead:<target>                 hash: location name -> its ranges after the newest entry
 *   <prefix>:state:pin:<target>                      hash: the run a target is pinned to and its ranges (pin-store.ts)
 *   <prefix>:state:prov:<source>:<collection>        committed provenance of a snapshot (provenance-store.ts)
 *   <prefix>:state:provstage:<runId>:<chunk>         provenance staged by one ingest chunk (expires)
 */
export interface StateKeys {
  readonly prefix: string;
  snapshot(source: string, collection: string): string;
  snapshotMeta(source: string, collection: string): string;
  stage(runId: string, chunk: number): string;
  stagePattern(runId: string): string;
  run(runId: string): string;
  rejects(runId: string): string;
  rejectExamples(source: string, collection: string): string;
  runIndex(kind: 'source' | 'target', name: string): string;
  owned(target: string): string;
  lock(target: string): string;
  fence(target: string): string;
  last(kind: 'source' | 'target', name: string): string;
  grace(target: string): string;
  status(target: string): string;
  whitelist(source: string, collection: string): string;
  whitelistStage(runId: string): string;
  writeBack(source: string): string;
  killSwitch(target: string): string;
  policyId(target: string): string;
  history(target: string): string;
  historyEntries(target: string): string;
  historyHead(target: string): string;
  pin(target: string): string;
  provenance(source: string, collection: string): string;
  provenanceStage(runId: string, chunk: number): string;
}

/** Colons and whitespace inside names are escaped so that key parts never collide. */
function part(s: string): string {
  return encodeURIComponent(s);
}

export function stateKeys(prefix: string): StateKeys {
  const base = `${prefix}:state`;
  return Object.freeze({
    prefix,
    snapshot: (source: string, collection: string) => `${base}:snap:${part(source)}:${part(collection)}`,
    snapshotMeta: (source: string, collection: string) => `${base}:snapmeta:${part(source)}:${part(collection)}`,
    stage: (runId: string, chunk: number) => `${base}:stage:${part(runId)}:${chunk}`,
    stagePattern: (runId: string) => `${base}:stage:${part(runId)}:*`,
    run: (runId: string) => `${base}:run:${part(runId)}`,
    rejects: (runId: string) => `${base}:rejects:${part(runId)}`,
    rejectExamples: (source: string, collection: string) => `${base}:rejects-ex:${part(source)}:${part(collection)}`,
    runIndex: (kind: 'source' | 'target', name: string) => `${base}:runs:${kind}:${part(name)}`,
    owned: (target: string) => `${base}:owned:${part(target)}`,
    lock: (target: string) => `${base}:lock:${part(target)}`,
    fence: (target: string) => `${base}:fence:${part(target)}`,
    last: (kind: 'source' | 'target', name: string) => `${base}:last:${kind}:${part(name)}`,
    grace: (target: string) => `${base}:grace:${part(target)}`,
    status: (target: string) => `${base}:status:${part(target)}`,
    whitelist: (source: string, collection: string) => `${base}:wl:${part(source)}:${part(collection)}`,
    whitelistStage: (runId: string) => `${base}:wlstage:${part(runId)}`,
    writeBack: (source: string) => `${base}:wb:${part(source)}`,
    killSwitch: (target: string) => `${base}:killswitch:${part(target)}`,
    policyId: (target: string) => `${base}:policyid:${part(target)}`,
    history: (target: string) => `${base}:hist:${part(target)}`,
    historyEntries: (target: string) => `${base}:histent:${part(target)}`,
    historyHead: (target: string) => `${base}:histhead:${part(target)}`,
    pin: (target: string) => `${base}:pin:${part(target)}`,
    provenance: (source: string, collection: string) => `${base}:prov:${part(source)}:${part(collection)}`,
    provenanceStage: (runId: string, chunk: number) => `${base}:provstage:${part(runId)}:${chunk}`,
  });
}
