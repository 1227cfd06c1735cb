// The in-browser check of an alert's evidence, trusting only the trust file's keys. It lays out bytes;
// the cryptography is the browser's own WebCrypto (Ed25519 signatures, SHA-256 hashes).
//
// What it checks, for an evidence bundle (`shieldwatch/evidence/v1`):
// - the checkpoint's log signature (c2sp.org/signed-note: key ID = SHA-256(name || "\n" || 0x01 || key)[:4],
//   Ed25519 over the note text) and that its origin is the log key's name;
// - the witness cosignatures (c2sp.org/tlog-cosignature, `cosignature/v1`: Ed25519 over
//   "cosignature/v1\ntime <T>\n" || note text) of distinct trusted witnesses, at least the quorum;
// - the same for the previous checkpoint, if the bundle has one, and that it is a prefix of the tree;
// - that the entries are exactly the indexes of the range the bundle calls complete, from the log's first
//   entry through the accused one (or through the checkpoint's last);
// - every entry's inclusion proof to the checkpoint's root (RFC 6962 / RFC 9162 hashing);
// - every entry's signature: roster version 1 by all the trust file's anchors, each later roster by all
//   the authorities of the one before (and chained to it: next version number, SHA-256 of its entry),
//   each statement by its sensor's key in the roster of the time.
// What it does not do: replay the entries through the agreed rules and compare the finding, which is
// `shieldwatch verify evidence`'s job. A bundle that passes here is authentic and complete; whether the
// finding follows from it is for the replay.
//
// For log evidence (`shieldwatch/log-evidence/v1`) it checks both checkpoints' log signatures and what the
// kind of misbehaviour needs (two trees of one size with different roots; one index holding two entries,
// each proven in one checkpoint; a smaller tree and the lost range).

/** The trust file's keys, as `GET /api/trust` serves them. */
export interface TrustKeys {
  path: string;
  log_key: string;
  witness_keys: string[];
  min_cosignatures: number;
  anchors: string[];
}

/** One item checked. `level`: "pass", "fail" or "note" (what is reported without deciding the verdict). */
export interface Check {
  item: string;
  level: "pass" | "fail" | "note";
  detail: string;
}

/** The outcome: verified when no check failed; `reason` is the first failure. */
export interface Report {
  verified: boolean;
  reason: string | null;
  checks: Check[];
  /** One line per entry (inclusion proof and signature), in index order. */
  entries: Check[];
}

const EVIDENCE_SCHEMA = "shieldwatch/evidence/v1";
const LOG_EVIDENCE_SCHEMA = "shieldwatch/log-evidence/v1";
const ROSTER_SCHEMA = "shieldwatch/roster/v1";

/** Why a check failed (caught and reported as the check's detail). */
class Failure extends Error {}

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function base64(s: string, what: string): Uint8Array<ArrayBuffer> {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) throw new Failure(`${what} is not base64`);
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

async function sha256(data: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", data));
}

async function ed25519(publicKey: Uint8Array<ArrayBuffer>, signature: Uint8Array<ArrayBuffer>, message: Uint8Array<ArrayBuffer>): Promise<boolean> {
  const key = await crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
  return crypto.subtle.verify({ name: "Ed25519" }, key, signature, message);
}

/** A verifier key `<name>+<hex key ID>+base64(type || Ed25519 public key)` (c2sp.org/signed-note). */
interface VerifierKey {
  name: string;
  id: number;
  type: number;
  publicKey: Uint8Array<ArrayBuffer>;
}

async function keyId(name: string, typeAndKey: Uint8Array): Promise<number> {
  const h = await sha256(concat(utf8.encode(name), new Uint8Array([0x0a]), typeAndKey));
  return new DataView(h.buffer).getUint32(0);
}

async function parseKey(vkey: string, what: string): Promise<VerifierKey> {
  // The name and the ID contain no "+"; the base64 key may.
  const m = /^([^+\s]+)\+([^+]*)\+(\S+)$/.exec(vkey.trim());
  if (!m) throw new Failure(`${what} ${JSON.stringify(vkey)} is not <name>+<id>+<key>`);
  const [, name, id16, b64] = m;
  if (!/^[0-9a-f]{8}$/.test(id16)) throw new Failure(`${what} ${name}: key ID is not 8 hex digits`);
  const raw = base64(b64, `${what} ${name}`);
  if (raw.length !== 33 || (raw[0] !== 0x01 && raw[0] !== 0x04))
    throw new Failure(`${what} ${name}: not an Ed25519 key (type 0x01 or 0x04, 32 bytes)`);
  const id = parseInt(id16, 16);
  if ((await keyId(name, raw)) !== id) throw new Failure(`${what} ${name}: the key ID does not match the key`);
  return { name, id, type: raw[0], publicKey: raw.slice(1) };
}

/** A signed note split into its text and signature lines (c2sp.org/signed-note). */
interface SignedNote {
  text: string;
  sigs: { name: string; id: number; sig: Uint8Array<ArrayBuffer> }[];
}

function parseNote(note: string, what: string): SignedNote {
  const split = note.lastIndexOf("\n\n");
  if (split < 0 || !note.endsWith("\n")) throw new Failure(`${what} is not a signed note (no blank line before the signatures)`);
  const text = note.slice(0, split + 1);
  if (/[\u0000-\u0009\u000b-\u001f\u007f]/.test(text)) throw new Failure(`${what}: the note text has control characters`);
  const sigs = [];
  for (const line of note.slice(split + 2, -1).split("\n")) {
    const m = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
    if (!m) throw new Failure(`${what}: malformed signature line ${JSON.stringify(line)}`);
    const raw = base64(m[2], `${what}: a signature`);
    if (raw.length < 5) throw new Failure(`${what}: a signature by ${m[1]} is too short`);
    sigs.push({ name: m[1], id: new DataView(raw.buffer).getUint32(0), sig: raw.slice(4) });
  }
  if (sigs.length === 0) throw new Failure(`${what} has no signature line`);
  return { text, sigs };
}

/** Whether a note carries a valid plain Ed25519 (type 0x01) signature by `key`. */
async function signedBy(note: SignedNote, key: VerifierKey): Promise<"valid" | "invalid" | "absent"> {
  const lines = note.sigs.filter((s) => s.name === key.name && s.id === key.id);
  if (lines.length === 0) return "absent";
  for (const s of lines) {
    if (s.sig.length === 64 && (await ed25519(key.publicKey, s.sig, utf8.encode(note.text)))) return "valid";
  }
  return "invalid";
}

/** A checkpoint whose log signature verified. */
interface Checkpoint {
  origin: string;
  size: number;
  root: Uint8Array<ArrayBuffer>;
  note: SignedNote;
}

async function checkpoint(text: string, logKey: VerifierKey, what: string): Promise<Checkpoint> {
  const note = parseNote(text, what);
  const lines = note.text.split("\n");
  if (lines.length < 4) throw new Failure(`${what}: the text is not origin, size and root hash`);
  const [origin, size, root] = lines;
  if (!/^(0|[1-9][0-9]*)$/.test(size) || !Number.isSafeInteger(Number(size))) throw new Failure(`${what}: tree size ${JSON.stringify(size)} is not a number`);
  const rootBytes = base64(root, `${what}: the root hash`);
  if (rootBytes.length !== 32) throw new Failure(`${what}: the root hash is not 32 bytes`);
  const by = await signedBy(note, logKey);
  if (by === "absent") throw new Failure(`${what} carries no signature by the trust file's log key ${logKey.name}`);
  if (by === "invalid") throw new Failure(`${what}: the log's signature does not verify (the checkpoint text or the signature was changed)`);
  if (origin !== logKey.name) throw new Failure(`${what}: origin ${JSON.stringify(origin)} is not the log key's name ${JSON.stringify(logKey.name)}`);
  return { origin, size: Number(size), root: rootBytes, note };
}

/** Valid cosignatures by distinct trusted witnesses: [name, time] each. */
async function cosignatures(note: SignedNote, witnessKeys: string[]): Promise<{ valid: [string, bigint][]; bad: string[] }> {
  const valid: [string, bigint][] = [];
  const bad: string[] = [];
  for (const vkey of [...new Set(witnessKeys.map((k) => k.trim()))].sort()) {
    let key: VerifierKey;
    try {
      key = await parseKey(vkey, "witness key");
    } catch (e) {
      bad.push(String((e as Error).message));
      continue;
    }
    // Signatures carry the cosignature (0x04) key ID, also for a key given as a plain Ed25519 (0x01) key.
    const id = await keyId(key.name, concat(new Uint8Array([0x04]), key.publicKey));
    const lines = note.sigs.filter((s) => s.name === key.name && s.id === id);
    let ok: bigint | undefined;
    for (const s of lines) {
      if (s.sig.length !== 72) continue;
      const t = new DataView(s.sig.buffer, s.sig.byteOffset).getBigUint64(0);
      if (t > 2n ** 63n - 1n) continue;
      const message = concat(utf8.encode(`cosignature/v1\ntime ${t}\n`), utf8.encode(note.text));
      if (await ed25519(key.publicKey, s.sig.slice(8), message)) {
        ok = t;
        break;
      }
    }
    if (ok !== undefined) valid.push([key.name, ok]);
    else bad.push(lines.length === 0 ? `no cosignature by ${key.name}` : `the cosignature by ${key.name} does not verify`);
  }
  return { valid, bad };
}

async function cosigned(cp: Checkpoint, trust: TrustKeys, what: string): Promise<string> {
  const { valid, bad } = await cosignatures(cp.note, trust.witness_keys);
  if (valid.length < trust.min_cosignatures)
    throw new Failure(`${what} has ${valid.length} valid witness cosignature(s), ${trust.min_cosignatures} required${bad.length ? ` (${bad.join("; ")})` : ""}`);
  return valid.map(([n, t]) => `${n} at ${new Date(Number(t) * 1000).toISOString()}`).join(", ");
}

const leafHash = (entry: Uint8Array) => sha256(concat(new Uint8Array([0x00]), entry));
const nodeHash = (l: Uint8Array, r: Uint8Array) => sha256(concat(new Uint8Array([0x01]), l, r));

/** RFC 9162 §2.1.3.2: the root an inclusion proof leads to. */
async function inclusionRoot(index: number, size: number, leaf: Uint8Array<ArrayBuffer>, proof: Uint8Array[]): Promise<Uint8Array> {
  if (index >= size) throw new Failure(`index ${index} is not below the tree size ${size}`);
  let fn = index;
  let sn = size - 1;
  let r: Uint8Array = leaf;
  for (const p of proof) {
    if (sn === 0) throw new Failure("the proof is longer than the tree allows");
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) throw new Failure("the proof is shorter than the tree needs");
  return r;
}

/** RFC 6962 Merkle tree hash of leaf hashes [lo, hi). */
async function treeHash(leaves: Uint8Array[], lo: number, hi: number): Promise<Uint8Array> {
  if (hi - lo === 1) return leaves[lo];
  let k = 1;
  while (k * 2 < hi - lo) k *= 2;
  return nodeHash(await treeHash(leaves, lo, lo + k), await treeHash(leaves, lo + k, hi));
}

interface ProvenEntry {
  index: number;
  entry: string;
  proof: string[];
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function provenEntries(x: unknown): ProvenEntry[] {
  if (!Array.isArray(x)) throw new Failure("the bundle's entries are not a list");
  return x.map((e, i) => {
    if (!isRecord(e) || !Number.isSafeInteger(e.index) || typeof e.entry !== "string" || !Array.isArray(e.proof) || !e.proof.every((p) => typeof p === "string"))
      throw new Failure(`entry ${i} of the bundle is not {index, entry, proof}`);
    return { index: e.index as number, entry: e.entry, proof: e.proof as string[] };
  });
}

/** Checks an entry's inclusion proof; returns its bytes. */
async function included(e: ProvenEntry, cp: Checkpoint): Promise<Uint8Array<ArrayBuffer>> {
  const bytes = base64(e.entry, `entry ${e.index}`);
  const proof = e.proof.map((h) => {
    const b = base64(h, `a proof hash of entry ${e.index}`);
    if (b.length !== 32) throw new Failure(`a proof hash of entry ${e.index} is not 32 bytes`);
    return b;
  });
  let root: Uint8Array;
  try {
    root = await inclusionRoot(e.index, cp.size, await leafHash(bytes), proof);
  } catch (err) {
    throw new Failure(`entry ${e.index}: ${(err as Error).message}`);
  }
  if (!equal(root, cp.root))
    throw new Failure(`entry ${e.index} is not in the log under the checkpoint of size ${cp.size}: its inclusion proof leads to another root (the entry or a proof hash was changed)`);
  return bytes;
}

/** The roster as the signatures need it. */
interface Roster {
  version: number;
  previous: string;
  authorities: string[];
  keys: { name: string; vkey: string; revoked: boolean }[];
}

function rosterOf(json: unknown): Roster {
  if (!isRecord(json) || !Number.isSafeInteger(json.version) || !Array.isArray(json.authorities) || !Array.isArray(json.keys))
    throw new Failure("not a roster");
  return {
    version: json.version as number,
    previous: typeof json.previous === "string" ? json.previous : "",
    authorities: json.authorities.map(String),
    keys: json.keys.map((k) => {
      if (!isRecord(k) || typeof k.name !== "string" || typeof k.vkey !== "string") throw new Failure("a roster key is not {name, vkey}");
      return { name: k.name, vkey: k.vkey, revoked: k.revoked === true };
    }),
  };
}

/** Whether every key of `vkeys` signed the note; the reason when not. */
async function allSigned(note: SignedNote, vkeys: string[], what: string): Promise<string | null> {
  for (const v of vkeys) {
    const key = await parseKey(v, what);
    const by = await signedBy(note, key);
    if (by !== "valid") return `${by === "absent" ? "no signature" : "an invalid signature"} by ${key.name}`;
  }
  return null;
}

/** Checks every entry's signature in log order, with the roster of the time; `accused` is the finding's entry. */
async function signatures(entries: [number, Uint8Array][], trust: TrustKeys, accused: { index: number; kind: string }, checks: Check[], lines: Map<number, Check[]>) {
  let roster: Roster | undefined;
  let rosterEntry: Uint8Array<ArrayBuffer> | undefined;
  let ok = 0;
  let refused = 0;
  const note = (i: number, level: Check["level"], detail: string) => lines.get(i)?.push({ item: `entry ${i} signature`, level, detail });
  for (const [i, bytes] of entries) {
    try {
      let text: string;
      try {
        text = strictUtf8.decode(bytes);
      } catch {
        throw new Failure("not UTF-8 text");
      }
      const n = parseNote(text, `entry ${i}`);
      let json: unknown;
      try {
        json = JSON.parse(n.text);
      } catch {
        throw new Failure("the note text is not JSON");
      }
      if (isRecord(json) && json.schema === ROSTER_SCHEMA) {
        const r = rosterOf(json);
        const first = roster === undefined;
        const signers = first ? trust.anchors : roster!.authorities;
        const why = await allSigned(n, signers, first ? "anchor" : "authority");
        if (why !== null) {
          const message = `roster version ${r.version} is not signed by ${first ? "the trust file's anchors" : "the previous roster's authorities"}: ${why}`;
          if (first && !(accused.kind === "forged" && accused.index === i))
            throw Object.assign(new Failure(why), { fatal: true });
          throw new Failure(message);
        }
        if (!first) {
          // A later version names the SHA-256 of the previous version's entry and the next number.
          const previous = hex(await sha256(rosterEntry!));
          if (r.previous !== previous || r.version !== roster!.version + 1)
            throw new Failure(`roster version ${r.version} does not follow version ${roster!.version} (it must be version ${roster!.version + 1} and name the previous entry's SHA-256 ${previous})`);
        }
        roster = r;
        rosterEntry = new Uint8Array(bytes);
        ok++;
        note(i, "pass", `roster version ${r.version}, signed by ${first ? "every trust anchor" : "every authority of the previous version"}`);
        continue;
      }
      if (!isRecord(json) || typeof json.sensor !== "string") throw new Failure("neither a roster nor a statement");
      if (roster === undefined) throw new Failure(`a statement by ${json.sensor} before any roster`);
      const rec = roster.keys.find((k) => k.name === json.sensor && !k.revoked);
      if (!rec) throw new Failure(`${json.sensor} has no unrevoked key in roster version ${roster.version}`);
      const by = await signedBy(n, await parseKey(rec.vkey, "roster key"));
      if (by !== "valid") throw new Failure(`${by === "absent" ? "no signature" : "the signature does not verify"} by ${json.sensor}'s key in roster version ${roster.version}`);
      ok++;
      note(i, "pass", `signed by ${json.sensor}'s key (roster version ${roster.version})`);
    } catch (e) {
      if (!(e instanceof Failure)) throw e;
      if ((e as Failure & { fatal?: boolean }).fatal) {
        note(i, "fail", e.message);
        throw new Failure(`the roster at entry ${i} is not signed by the trust file's anchors: ${e.message}`);
      }
      refused++;
      const accusedHere = i === accused.index;
      note(i, "note", `${e.message}: ${accusedHere ? "this is the entry the finding is about" : "the entry is in the log but not admitted (the replay counts it as forged)"}`);
    }
  }
  checks.push({
    item: "Entry signatures",
    level: "pass",
    detail: `${ok} of ${entries.length} entries carry a valid signature (rosters by the trust anchors and then each previous version's authorities, statements by their sensor's key in the roster of the time)${refused ? `; ${refused} do not, listed below` : ""}`,
  });
}

async function evidence(ev: Record<string, unknown>, trust: TrustKeys, logKey: VerifierKey, checks: Check[], lines: Map<number, Check[]>) {
  const finding = ev.finding;
  if (!isRecord(finding) || !Number.isSafeInteger(finding.index) || !isRecord(finding.kind) || typeof finding.kind.type !== "string")
    throw new Failure("the bundle's finding is not {kind, index, …}");
  const index = finding.index as number;
  const kind = finding.kind.type === "rule" ? `rule:${String(finding.kind.detail)}` : finding.kind.type;
  if (typeof ev.checkpoint !== "string") throw new Failure("the bundle has no checkpoint");

  const cp = await checkpoint(ev.checkpoint, logKey, "the checkpoint");
  checks.push({ item: "Checkpoint signature", level: "pass", detail: `${cp.origin}, ${cp.size} entries, signed by the trust file's log key` });
  checks.push({ item: "Witness cosignatures", level: "pass", detail: `${await cosigned(cp, trust, "the checkpoint")} (quorum ${trust.min_cosignatures})` });

  let previous: Checkpoint | undefined;
  if (ev.previous_checkpoint !== undefined) {
    if (typeof ev.previous_checkpoint !== "string") throw new Failure("the previous checkpoint is not text");
    previous = await checkpoint(ev.previous_checkpoint, logKey, "the previous checkpoint");
    const by = await cosigned(previous, trust, "the previous checkpoint");
    if (previous.size >= cp.size) throw new Failure(`the previous checkpoint (size ${previous.size}) is not smaller than the checkpoint (size ${cp.size})`);
    checks.push({ item: "Previous checkpoint", level: "pass", detail: `${previous.size} entries, signed by the log, cosigned by ${by}` });
  }

  // Completeness: exactly the indexes from..to, from the log's first entry.
  const range = ev.complete;
  if (!isRecord(range) || !Number.isSafeInteger(range.from) || !Number.isSafeInteger(range.to)) throw new Failure("the bundle names no complete range");
  const from = range.from as number;
  const to = range.to as number;
  const entries = provenEntries(ev.entries);
  if (from !== 0) throw new Failure(`the complete range starts at entry ${from}, not at the log's first entry 0`);
  if (to > cp.size) throw new Failure(`the complete range ${from}..${to} goes beyond the checkpoint of size ${cp.size}`);
  if (!(index < to && (to === index + 1 || to === cp.size)))
    throw new Failure(`the complete range ${from}..${to} does not end at the accused entry ${index} nor at the checkpoint's last entry`);
  if (entries.length !== to - from) throw new Failure(`the bundle holds ${entries.length} entries, the complete range ${from}..${to} has ${to - from}`);
  entries.forEach((e, k) => {
    if (e.index !== from + k) throw new Failure(`entry ${from + k} of the complete range is missing (found entry ${e.index} in its place)`);
  });
  checks.push({ item: "Range complete", level: "pass", detail: `entries ${from}..${to}: every index present once, in order, from the log's first entry through ${to === index + 1 ? `the accused entry ${index}` : `the checkpoint's last (${to - 1})`}` });

  // Inclusion.
  const bytes: [number, Uint8Array<ArrayBuffer>][] = [];
  for (const e of entries) {
    lines.set(e.index, []);
    try {
      bytes.push([e.index, await included(e, cp)]);
    } catch (err) {
      lines.get(e.index)!.push({ item: `entry ${e.index} inclusion`, level: "fail", detail: (err as Error).message });
      throw err;
    }
    lines.get(e.index)!.push({ item: `entry ${e.index} inclusion`, level: "pass", detail: `proven in the tree of size ${cp.size}` });
  }
  checks.push({ item: "Inclusion proofs", level: "pass", detail: `all ${entries.length} entries are in the log under the checkpoint's root` });

  if (previous) {
    const leaves = await Promise.all(bytes.slice(0, previous.size).map(([, b]) => leafHash(b)));
    if (leaves.length !== previous.size || !equal(await treeHash(leaves, 0, leaves.length), previous.root))
      throw new Failure(`the previous checkpoint (size ${previous.size}) is not a prefix of the checkpoint's tree`);
    checks.push({ item: "Previous checkpoint is a prefix", level: "pass", detail: `the first ${previous.size} entries hash to its root` });
  }

  await signatures(bytes, trust, { index, kind }, checks, lines);
  checks.push({
    item: "The finding",
    level: "note",
    detail: `${kind} at entry ${index}: "${String(finding.summary)}". Not replayed here: that the agreed rules give this finding from these entries is checked by shieldwatch verify evidence.`,
  });
}

async function logEvidence(ev: Record<string, unknown>, logKey: VerifierKey, checks: Check[]) {
  if (!Array.isArray(ev.checkpoints) || ev.checkpoints.length !== 2 || !ev.checkpoints.every((c) => typeof c === "string"))
    throw new Failure("log evidence needs two checkpoints");
  const a = await checkpoint(ev.checkpoints[0], logKey, "the first checkpoint");
  const b = await checkpoint(ev.checkpoints[1], logKey, "the second checkpoint");
  checks.push({ item: "Both checkpoints signed by the log", level: "pass", detail: `sizes ${a.size} and ${b.size}` });
  if (ev.kind === "split_view") {
    if (!(a.size === b.size && !equal(a.root, b.root))) throw new Failure("split view needs two checkpoints of one size with different roots");
    checks.push({ item: "Split view", level: "pass", detail: `two different roots for ${a.size} entries` });
  } else if (ev.kind === "rewritten_history") {
    const [ea, eb] = provenEntries(ev.entries);
    if (!ea || !eb || ea.index !== eb.index) throw new Failure("rewritten history needs two entries of one index");
    const ba = await included(ea, a);
    const bb = await included(eb, b);
    if (equal(ba, bb)) throw new Failure("the two entries are identical: no equivocation");
    checks.push({ item: "Rewritten history", level: "pass", detail: `entry ${ea.index} differs between the two trees, each proven in one` });
  } else if (ev.kind === "rollback") {
    const lost = ev.lost;
    if (b.size >= a.size) throw new Failure("a rollback needs the second checkpoint to be smaller than the first");
    if (!isRecord(lost) || lost.from !== b.size || lost.to !== a.size)
      throw new Failure(`a rollback from size ${a.size} to ${b.size} loses entries ${b.size}..${a.size}, the evidence says otherwise`);
    checks.push({ item: "Rollback", level: "pass", detail: `entries ${b.size}..${a.size} are gone; that the smaller tree came later is the monitor's testimony` });
  } else {
    throw new Failure(`unknown kind of log misbehaviour ${JSON.stringify(ev.kind)}`);
  }
}

/** Checks an alert file (parsed JSON) against the trust file's keys. */
export async function verifyAlert(bundle: unknown, trust: TrustKeys): Promise<Report> {
  const checks: Check[] = [];
  const lines = new Map<number, Check[]>();
  let reason: string | null = null;
  try {
    if (!isRecord(bundle)) throw new Failure("the file is not a JSON object");
    const logKey = await parseKey(trust.log_key, "the trust file's log key");
    if (logKey.type !== 0x01) throw new Failure("the trust file's log key is not a plain Ed25519 note key (type 0x01)");
    if (bundle.schema === EVIDENCE_SCHEMA) await evidence(bundle, trust, logKey, checks, lines);
    else if (bundle.schema === LOG_EVIDENCE_SCHEMA) await logEvidence(bundle, logKey, checks);
    else throw new Failure(`schema ${JSON.stringify(bundle.schema)} is not an alert's`);
  } catch (e) {
    if (!(e instanceof Failure)) throw e;
    reason = e.message;
    checks.push({ item: "Failed", level: "fail", detail: e.message });
  }
  const entries = [...lines.keys()].sort((x, y) => x - y).flatMap((i) => lines.get(i)!);
  return { verified: reason === null, reason, checks, entries };
}
