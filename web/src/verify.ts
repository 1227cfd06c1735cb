// The in-browser check of an alert's evidence, trusting only the trust file's keys and agreed rules. It lays
// out bytes; the cryptography is the browser's own WebCrypto (Ed25519 signatures, SHA-256 hashes), the rules'
// CEL is evaluated by @marcbachmann/cel-js (./replay.ts).
//
// What it checks, for an evidence bundle (`shieldwatch/evidence/v1`), step for step as `shieldwatch verify
// evidence` (crates/verify evidence.rs) does:
// - the checkpoint's log signature (c2sp.org/signed-note: key ID = SHA-256(name || "\n" || 0x01 || key)[:4],
//   Ed25519 over the note text) and that its origin is the log key's name;
// - the witness cosignatures (c2sp.org/tlog-cosignature, `cosignature/v1`: Ed25519 over
//   "cosignature/v1\ntime <T>\n" || note text) of distinct trusted witnesses, at least the quorum;
// - the same for the previous checkpoint, if the bundle has one (only for a finding judged at a
//   checkpoint), and that it is a prefix of the tree;
// - that the entries are exactly the indexes of the range the bundle calls complete, from the log's first
//   entry through the accused one (through the checkpoint's last for a finding judged at a checkpoint);
// - every entry's inclusion proof to the checkpoint's root (RFC 6962 / RFC 9162 hashing);
// - every entry's admission: roster version 1 signed by all the trust file's anchors, each later roster by
//   all the authorities of the one before (and chained to it: next version number, SHA-256 of its entry),
//   each statement within the agreed schema in canonical encoding, signed by its sensor's unrevoked key in
//   the roster of the time, of the key's role, site and silo, with a sequence number above the last;
// - that the bundle's rule text is the agreed rule of that id, word for word;
// - the replay: the admitted entries, in index order, through the agreed rules with the bundle's clock,
//   which must give the bundle's finding in every field (kind, index, summary, sensor, context).
// What the page cannot replay exactly (a rule outside the CEL subset the agreed rules use, a number beyond
// 2^53, a forged or over-collection finding, worded by the verifier's own error messages) is reported as
// "not replayed: <why>" and the bundle as not verified.
//
// For log evidence (`shieldwatch/log-evidence/v1`) it checks both checkpoints' log signatures and what the
// kind of misbehaviour needs (two trees of one size with different roots; one index holding two entries,
// each proven in one checkpoint; a smaller tree and the lost range).

// "./replay.js" (not "./replay"): the module as emitted, so that the compiled file also runs under Node.js
// (crates/dashboard/tests/verify_ts.rs); vite and tsc resolve it to replay.ts.
import { Engine, NotReplayed, Refused, canonicalFinding, findingName, normalRule, sameFinding, statement } from "./replay.js";
import type { Admitted, AgreedRules, Finding } from "./replay.js";

/** The trust file's keys, as `GET /api/trust` serves them. */
export interface TrustKeys {
  path: string;
  log_key: string;
  witness_keys: string[];
  min_cosignatures: number;
  anchors: string[];
  /** The agreed rules the trust file names: the agreement's parameters and every rule's text. */
  agreed: AgreedRules;
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

/**
 * The valid cosignatures (names and times) and the times the checkpoint is judged at, Unix s
 * (crates/verify `evidence::Judged`): with k the quorum, the k-th oldest cosignature time (`earlyS`)
 * and the k-th newest (`lateS`), so that fewer than k lying witnesses cannot move a judgement.
 */
async function cosigned(cp: Checkpoint, trust: TrustKeys, what: string): Promise<{ by: string; earlyS: number; lateS: number }> {
  const { valid, bad } = await cosignatures(cp.note, trust.witness_keys);
  if (valid.length < trust.min_cosignatures)
    throw new Failure(`${what} has ${valid.length} valid witness cosignature(s), ${trust.min_cosignatures} required${bad.length ? ` (${bad.join("; ")})` : ""}`);
  const times = valid.map(([, t]) => t).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const latest = times.length ? times[times.length - 1] : 0n;
  if (latest * 1000n > BigInt(Number.MAX_SAFE_INTEGER)) throw new NotReplayed(`a cosignature time ${latest} is beyond the times this page replays`);
  const k = Math.min(Math.max(trust.min_cosignatures, 1), times.length);
  const earlyS = times.length ? Number(times[k - 1]) : 0;
  const lateS = times.length ? Number(times[times.length - k]) : 0;
  return { by: valid.map(([n, t]) => `${n} at ${new Date(Number(t) * 1000).toISOString()}`).join(", "), earlyS, lateS };
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

/** A roster key record, as admission needs it. */
interface KeyRecord {
  name: string;
  vkey: string;
  role: string;
  site: string;
  party: string;
  revoked: boolean;
  silo?: number;
}

/** The roster as the signatures need it. */
interface Roster {
  version: number;
  previous: string;
  authorities: string[];
  keys: KeyRecord[];
}

const ROLE_KIND: Record<string, string> = { radar_sensor: "radar", silo_sensor: "silo", inspector: "inspection", operator: "notice" };
const ROSTER_FIELDS = ["schema", "version", "previous", "issued_ms", "authorities", "keys"];
const KEY_FIELDS = ["name", "vkey", "role", "site", "party", "revoked", "silo"];

/** The roster, decoded strictly: its fields in canonical order, compact JSON (crates/verify `Roster`). */
function rosterOf(json: unknown, noteText: string): Roster {
  const ordered = (x: unknown, fields: string[]) => isRecord(x) && Object.keys(x).every((k, i, ks) => fields.includes(k) && (i === 0 || fields.indexOf(ks[i - 1]) < fields.indexOf(k)));
  if (
    !isRecord(json) ||
    !ordered(json, ROSTER_FIELDS) ||
    Object.keys(json).length !== ROSTER_FIELDS.length ||
    !Number.isSafeInteger(json.version) ||
    (json.version as number) < 1 ||
    typeof json.previous !== "string" ||
    !Array.isArray(json.authorities) ||
    json.authorities.length === 0 ||
    !json.authorities.every((a) => typeof a === "string") ||
    !Array.isArray(json.keys)
  )
    throw new Failure("not a roster");
  if (`${JSON.stringify(json)}\n` !== noteText) throw new Failure("the roster is not in canonical encoding");
  return {
    version: json.version as number,
    previous: json.previous,
    authorities: json.authorities as string[],
    keys: json.keys.map((k) => {
      if (
        !ordered(k, KEY_FIELDS) ||
        typeof k.name !== "string" ||
        typeof k.vkey !== "string" ||
        typeof k.role !== "string" ||
        !(k.role in ROLE_KIND) ||
        typeof k.site !== "string" ||
        typeof k.party !== "string" ||
        typeof k.revoked !== "boolean" ||
        !(k.silo === undefined || Number.isSafeInteger(k.silo))
      )
        throw new Failure("a roster key is not {name, vkey, role, site, party, revoked, silo?}");
      return { name: k.name, vkey: k.vkey, role: k.role, site: k.site, party: k.party, revoked: k.revoked, silo: k.silo as number | undefined };
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

/** Admits a statement as crates/verify `Registry::check` does; returns it with the parties whose keys signed it. */
async function admitStatement(json: unknown, n: SignedNote, roster: Roster | undefined, lastSeq: Map<string, number>): Promise<{ statement: ReturnType<typeof statement>; parties: string[] }> {
  const st = statement(json, n.text);
  const sensor = st.sensor as string;
  if (roster === undefined) throw new Refused(`no roster is in force, so key ${JSON.stringify(sensor)} is not registered`);
  const records = roster.keys.filter((k) => k.name === sensor);
  const rec = records.find((k) => !k.revoked);
  if (!rec) throw new Refused(records.length ? `${JSON.stringify(sensor)} is revoked in roster version ${roster.version}` : `${JSON.stringify(sensor)} is not in roster version ${roster.version}`);
  const kind = Object.keys(st.body as object)[0];
  if (ROLE_KIND[rec.role] !== kind) throw new Refused(`${JSON.stringify(sensor)} is registered as ${rec.role} and cannot sign ${kind} statements`);
  if (rec.site !== "*" && rec.site !== st.site) throw new Refused(`${JSON.stringify(sensor)} is registered for site ${rec.site}, not ${String(st.site)}`);
  const silo = kind === "silo" ? (st.body as Record<string, Record<string, unknown>>).silo.silo : undefined;
  if (rec.silo !== undefined && silo !== undefined && silo !== rec.silo) throw new Refused(`${JSON.stringify(sensor)} is registered for silo ${rec.silo}`);
  // Every unrevoked roster key's signature line must verify (a bad one refuses the note, as Go's note.Open does).
  const signed: string[] = [];
  for (const k of roster.keys.filter((k) => !k.revoked)) {
    const by = await signedBy(n, await parseKey(k.vkey, "roster key"));
    if (by === "invalid") throw new Refused(`the signature by ${k.name} does not verify`);
    if (by === "valid") signed.push(k.name);
  }
  if (!signed.includes(sensor)) throw new Refused(`no valid signature by ${JSON.stringify(sensor)}'s key in roster version ${roster.version}`);
  const last = lastSeq.get(sensor);
  if (last !== undefined && (st.seq as number) <= last) throw new Refused(`${JSON.stringify(sensor)} seq ${st.seq} is not above the last accepted seq ${last}`, { sensor });
  const parties = new Set<string>();
  for (const name of signed) {
    const r = roster.keys.find((k) => k.name === name && !k.revoked);
    if (r && (r.name === sensor || r.role === "operator")) parties.add(r.party);
  }
  lastSeq.set(sensor, st.seq as number);
  return { statement: st, parties: [...parties].sort() };
}

/** Checks every entry's admission in log order, with the roster of the time; `accused` is the finding's
 * entry. Returns each entry admitted, or why it was refused. */
async function signatures(entries: [number, Uint8Array][], trust: TrustKeys, accused: { index: number; kind: string }, checks: Check[], lines: Map<number, Check[]>): Promise<(Admitted | Refused)[]> {
  let roster: Roster | undefined;
  let rosterEntry: Uint8Array<ArrayBuffer> | undefined;
  const lastSeq = new Map<string, number>();
  const admitted: (Admitted | Refused)[] = [];
  let ok = 0;
  let refused = 0;
  const note = (i: number, level: Check["level"], detail: string) => lines.get(i)?.push({ item: `entry ${i} admission`, level, detail });
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
      if (!isRecord(json) || typeof json.schema !== "string") throw new Failure("the entry text is not a JSON object with a schema");
      if (json.schema === ROSTER_SCHEMA) {
        const first = roster === undefined;
        const signers = first ? trust.anchors : roster!.authorities;
        const why = await allSigned(n, signers, first ? "anchor" : "authority");
        if (why !== null) {
          const message = `roster version ${isRecord(json) ? String(json.version) : "?"} is not signed by ${first ? "the trust file's anchors" : "the previous roster's authorities"}: ${why}`;
          if (first && !(accused.kind === "forged" && accused.index === i)) throw Object.assign(new Failure(why), { fatal: true });
          throw new Failure(message);
        }
        const r = rosterOf(json, n.text);
        if (!first) {
          // A later version names the SHA-256 of the previous version's entry and the next number.
          const previous = hex(await sha256(rosterEntry!));
          if (r.previous !== previous || r.version !== roster!.version + 1)
            throw new Failure(`roster version ${r.version} does not follow version ${roster!.version} (it must be version ${roster!.version + 1} and name the previous entry's SHA-256 ${previous})`);
        } else if (r.version !== 1 || r.previous !== "") throw new Failure(`the first roster is version ${r.version} naming a previous one; it must be version 1`);
        roster = r;
        rosterEntry = new Uint8Array(bytes);
        ok++;
        admitted.push({ roster: true });
        note(i, "pass", `roster version ${r.version}, signed by ${first ? "every trust anchor" : "every authority of the previous version"}`);
        continue;
      }
      const a = await admitStatement(json, n, roster, lastSeq);
      ok++;
      admitted.push(a);
      note(i, "pass", `${String(json.sensor)} seq ${a.statement.seq}: signed by its key (roster version ${roster!.version}), within the schema${a.parties.length > 1 ? `, countersigned by ${a.parties.join(" and ")}` : ""}`);
    } catch (e) {
      if (e instanceof NotReplayed) throw e;
      if (!(e instanceof Failure || e instanceof Refused)) throw e;
      if ((e as Failure & { fatal?: boolean }).fatal) {
        note(i, "fail", e.message);
        throw new Failure(`the roster at entry ${i} is not signed by the trust file's anchors: ${e.message}`);
      }
      refused++;
      admitted.push(e instanceof Refused ? e : new Refused(e.message));
      const accusedHere = i === accused.index;
      note(i, "note", `${e.message}: ${accusedHere ? "this is the entry the finding is about" : "the entry is in the log but not admitted (the replay counts it against the log)"}`);
    }
  }
  checks.push({
    item: "Entry admission",
    level: "pass",
    detail: `${ok} of ${entries.length} entries admitted (rosters signed by the trust anchors and then each previous version's authorities; statements within the agreed schema, signed by their sensor's key in the roster of the time, in sequence)${refused ? `; ${refused} are not, listed below` : ""}`,
  });
  return admitted;
}

/** Replays the admitted entries through the agreed rules (crates/verify `evidence::verify` step 4). */
function replay(
  agreed: AgreedRules,
  admitted: (Admitted | Refused)[],
  at: { checkpoint: boolean; size: number; earlyS: number; lateS: number; previous?: { size: number; earlyS: number; lateS: number }; clock: "witness" | "log" },
): { found: Finding[]; engine: Engine } {
  const engine = new Engine(agreed);
  const judge = (size: number, t: { earlyS: number; lateS: number }) =>
    at.clock === "witness" ? engine.checkpoint(size, t.earlyS * 1000, t.lateS * 1000) : engine.checkpoint(size, engine.latestTimeMs, engine.latestTimeMs);
  const found: Finding[] = [];
  admitted.forEach((a, i) => {
    if (at.previous && i === at.previous.size) found.push(...judge(at.previous.size, at.previous));
    found.push(...engine.entry(i, a));
  });
  if (at.checkpoint) found.push(...judge(at.size, at));
  return { found, engine };
}

const KINDS = ["rule", "forged", "over_collection", "replay", "gap", "clock_integrity", "clock_backwards", "clock_ahead"];

function findingOf(x: unknown): Finding {
  const f = x;
  if (
    !isRecord(f) ||
    !isRecord(f.kind) ||
    typeof f.kind.type !== "string" ||
    !KINDS.includes(f.kind.type) ||
    (f.kind.type === "rule") !== (typeof f.kind.detail === "string") ||
    typeof f.summary !== "string" ||
    !(f.sensor === null || typeof f.sensor === "string") ||
    !Number.isSafeInteger(f.index) ||
    !Array.isArray(f.context) ||
    !f.context.every((c) => Number.isSafeInteger(c))
  )
    throw new Failure("the bundle's finding is not {kind, summary, sensor, index, context}");
  return f as unknown as Finding;
}

/** Fields outside the bundle's schema (which the verifier's strict decoding refuses). */
function unknownFields(ev: Record<string, unknown>): string[] {
  const known = (x: unknown, fields: string[], at: string) => (isRecord(x) ? Object.keys(x).filter((k) => !fields.includes(k)).map((k) => `${at}${k}`) : []);
  return [
    ...known(ev, ["schema", "finding", "rule", "checkpoint", "previous_checkpoint", "clock", "complete", "entries"], ""),
    ...known(ev.finding, ["kind", "summary", "sensor", "index", "context"], "finding."),
    ...(isRecord(ev.finding) ? known(ev.finding.kind, ["type", "detail"], "finding.kind.") : []),
    ...known(ev.complete, ["from", "to"], "complete."),
    ...(Array.isArray(ev.entries) ? ev.entries.flatMap((e, i) => known(e, ["index", "entry", "proof"], `entries[${i}].`)) : []),
  ];
}

async function evidence(ev: Record<string, unknown>, trust: TrustKeys, logKey: VerifierKey, checks: Check[], lines: Map<number, Check[]>) {
  const unknown = unknownFields(ev);
  if (unknown.length) throw new Failure(`the bundle has fields outside its schema: ${unknown.slice(0, 5).join(", ")}`);
  const finding = findingOf(ev.finding);
  const index = finding.index;
  const kind = findingName(finding);
  if (typeof ev.checkpoint !== "string") throw new Failure("the bundle has no checkpoint");
  const agreedRule = finding.kind.type === "rule" ? trust.agreed.rules.find((r) => r.id === finding.kind.detail) : undefined;
  // Judged at a checkpoint: a checkpoint rule, or a reading dated after the checkpoint's cosignature.
  const atCheckpoint = finding.kind.type === "clock_ahead" || (agreedRule?.on ?? "statement") === "checkpoint";

  const cp = await checkpoint(ev.checkpoint, logKey, "the checkpoint");
  checks.push({ item: "Checkpoint signature", level: "pass", detail: `${cp.origin}, ${cp.size} entries, signed by the trust file's log key` });
  const cpCosigned = await cosigned(cp, trust, "the checkpoint");
  checks.push({ item: "Witness cosignatures", level: "pass", detail: `${cpCosigned.by} (quorum ${trust.min_cosignatures})` });

  let previous: (Checkpoint & { earlyS: number; lateS: number }) | undefined;
  if (ev.previous_checkpoint !== undefined && ev.previous_checkpoint !== null) {
    if (!atCheckpoint) throw new Failure(`a previous checkpoint is given, but ${kind} is not judged at a checkpoint`);
    if (typeof ev.previous_checkpoint !== "string") throw new Failure("the previous checkpoint is not text");
    const p = await checkpoint(ev.previous_checkpoint, logKey, "the previous checkpoint");
    const by = await cosigned(p, trust, "the previous checkpoint");
    if (p.size >= cp.size) throw new Failure(`the previous checkpoint (size ${p.size}) is not smaller than the checkpoint (size ${cp.size})`);
    previous = { ...p, earlyS: by.earlyS, lateS: by.lateS };
    checks.push({ item: "Previous checkpoint", level: "pass", detail: `${p.size} entries, signed by the log, cosigned by ${by.by}` });
  }
  const clock = ev.clock ?? "witness";
  if (clock !== "witness" && clock !== "log") throw new Failure(`clock ${JSON.stringify(clock)} is neither witness nor log`);
  if (clock !== "witness" && !atCheckpoint) throw new Failure(`a clock is given, but ${kind} is not judged at a checkpoint`);

  // Completeness: exactly the indexes 0..to, through the accused entry (or the checkpoint's last).
  const range = ev.complete;
  if (!isRecord(range) || !Number.isSafeInteger(range.from) || !Number.isSafeInteger(range.to)) throw new Failure("the bundle names no complete range");
  const from = range.from as number;
  const to = range.to as number;
  const entries = provenEntries(ev.entries);
  const expectedTo = atCheckpoint ? cp.size : index + 1;
  if (from !== 0 || to !== expectedTo) throw new Failure(`the bundle proves entries ${from}..${to} complete; ${kind} at entry ${index} needs 0..${expectedTo}`);
  if (expectedTo > cp.size) throw new Failure(`entry ${index} is beyond the checkpoint of size ${cp.size}`);
  if (entries.length !== to - from) throw new Failure(`the bundle holds ${entries.length} entries, the complete range ${from}..${to} has ${to - from}`);
  entries.forEach((e, k) => {
    if (e.index !== from + k) throw new Failure(`entry ${from + k} of the complete range is missing (found entry ${e.index} in its place)`);
  });
  checks.push({ item: "Range complete", level: "pass", detail: `entries ${from}..${to}: every index present once, in order, from the log's first entry through ${atCheckpoint ? `the checkpoint's last (${to - 1})` : `the accused entry ${index}`}` });

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

  // The rule must be the agreed one, word for word; other findings carry none.
  if (finding.kind.type === "rule") {
    if (!agreedRule) throw new Failure(`rule ${JSON.stringify(finding.kind.detail)} is not among the agreed rules`);
    if (normalRule(ev.rule) !== normalRule(agreedRule)) throw new Failure(`rule ${JSON.stringify(finding.kind.detail)} in the bundle differs from the agreed text`);
    checks.push({ item: "Rule text", level: "pass", detail: `rule ${agreedRule.id} is the agreed text of ${trust.path}: ${agreedRule.when ? `when ${agreedRule.when}, ` : ""}require ${agreedRule.require}` });
  } else if (ev.rule !== undefined && ev.rule !== null) throw new Failure(`a ${kind} finding carries a rule text`);

  const admitted = await signatures(bytes, trust, { index, kind }, checks, lines);

  // The replay.
  const { found, engine } = replay(trust.agreed, admitted, { checkpoint: atCheckpoint, size: cp.size, earlyS: cpCosigned.earlyS, lateS: cpCosigned.lateS, previous, clock });
  if (finding.kind.type === "forged" || finding.kind.type === "over_collection") {
    const why = engine.unworded.get(index);
    throw new NotReplayed(
      why === undefined
        ? `the replay admits entry ${index}, which the bundle calls ${kind}`
        : `entry ${index} is refused here too (${why}), but the ${kind} finding's summary is the verifier's own error message, which this page does not reproduce: shieldwatch verify evidence checks it`,
    );
  }
  if (!found.some((f) => sameFinding(f, finding))) {
    const same = found.find((f) => findingName(f) === kind && f.index === index);
    throw new Failure(
      same
        ? `the bundle's finding differs from the recomputed one: bundle ${JSON.stringify(canonicalFinding(finding))}, recomputed ${JSON.stringify(canonicalFinding(same))}`
        : `recomputing the finding from the bundled entries does not give ${kind} at entry ${index}`,
    );
  }
  const rules = trust.agreed.rules.length;
  checks.push({
    item: "Rule replay",
    level: "pass",
    detail: `the ${admitted.length} entries replayed through the ${rules} agreed rules of ${trust.path}${atCheckpoint ? ` and the checkpoint${previous ? "s" : ""} judged by the ${clock}'s clock` : ""} give this finding in every field: ${kind} at entry ${index}, "${finding.summary}"`,
  });
  if (finding.kind.type === "rule" && agreedRule?.require.includes("previous_cosigned_ms"))
    checks.push({ item: "Unproven", level: "note", detail: "that no witness cosigned a checkpoint between the previous checkpoint and this one (witness cosignatures are not in the log)" });
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
    if (e instanceof NotReplayed) {
      reason = `not replayed: ${e.message}`;
      checks.push({ item: "Rule replay", level: "fail", detail: reason });
    } else if (e instanceof Failure) {
      reason = e.message;
      checks.push({ item: "Failed", level: "fail", detail: e.message });
    } else throw e;
  }
  const entries = [...lines.keys()].sort((x, y) => x - y).flatMap((i) => lines.get(i)!);
  return { verified: reason === null, reason, checks, entries };
}
