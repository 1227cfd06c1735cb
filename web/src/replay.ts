// The replay of an evidence bundle's entries through the agreed rules, as `shieldwatch verify evidence`
// does it (crates/verify: roster.rs admits entries, engine.rs keeps the state rules see and reports
// findings, rules.rs evaluates the rules' CEL). The CEL is evaluated by @marcbachmann/cel-js, restricted to
// the subset the agreed rules use; a rule outside it, a number beyond what JavaScript holds exactly, or a
// finding whose wording comes from the verifier's own error messages (forged and over-collection entries,
// a rule that fails to evaluate) is reported as not replayed, never as verified.

import { parse } from "@marcbachmann/cel-js";

/** A rule as the trust file's rule set holds it (crates/verify `RuleText`). */
export interface RuleText {
  id: string;
  title: string;
  source?: string | null;
  on?: "statement" | "checkpoint";
  scope?: "sensor" | "site" | "deployment";
  when?: string | null;
  require: string;
}

/** The agreed rules: the agreement's parameters and the rules, in file order. */
export interface AgreedRules {
  agreement: unknown;
  rules: RuleText[];
}

/** A finding (crates/verify `Finding`), as bundles carry it. */
export interface Finding {
  kind: { type: string; detail?: string };
  summary: string;
  sensor: string | null;
  index: number;
  context: number[];
}

/** Something the page cannot replay exactly; the verdict is then "not replayed: <message>". */
export class NotReplayed extends Error {}

/** An entry refused by admission (crates/verify `Registry::check`): not admitted, not seen by rules. */
export class Refused extends Error {
  constructor(
    message: string,
    readonly replay: { sensor: string } | null = null,
  ) {
    super(message);
  }
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

// ---------------------------------------------------------------------------------------------------------
// Statements: the schema, exactly (crates/verify statement.rs). Field order is the canonical encoding's.

type Field = "string" | "bool" | "u32" | "u64" | "i64" | "commitment" | { enum: string[] } | { list: Spec };
interface Spec {
  fields: [string, Field][];
  optional?: string[];
}

const BODIES: Record<string, Spec> = {
  radar: {
    fields: [
      ["transmitting", "bool"],
      ["mode", { enum: ["standby", "search", "track", "calibration"] }],
      ["sector_bin", "u32"],
      ["power_class", "u32"],
      ["pointing", "commitment"],
    ],
  },
  silo: {
    fields: [
      ["silo", "u32"],
      ["door", { enum: ["closed", "moving", "open"] }],
      ["interceptor_present", "bool"],
      ["readiness", { enum: ["inactive", "active"] }],
      ["seal_intact", "bool"],
      ["tamper", "bool"],
      ["serial", "commitment"],
    ],
    optional: ["serial"],
  },
  inspection: {
    fields: [
      ["visit", "string"],
      ["requested_ms", "i64"],
      ["granted_ms", "i64"],
      ["interceptors_counted", "u32"],
      ["findings", { list: { fields: [["code", "string"], ["text", "string"]] } }],
      ["attachments", { list: { fields: [["name", "string"], ["sha256", "string"]] } }],
    ],
  },
  notice: {
    fields: [
      ["notice", { enum: ["maintenance", "radiate", "test_launch", "change", "trigger"] }],
      ["from_ms", "i64"],
      ["to_ms", "i64"],
      ["subject", "string"],
    ],
  },
};

const STATEMENT: Spec = {
  fields: [
    ["schema", "string"],
    ["sensor", "string"],
    ["site", "string"],
    ["seq", "u64"],
    ["time_ms", "i64"],
    ["clock_ok", "bool"],
  ],
};

function integer(v: unknown, what: string, min: number, max: number) {
  if (typeof v !== "number" || !Number.isInteger(v)) throw new Refused(`${what} is not an integer`);
  if (!Number.isSafeInteger(v)) throw new NotReplayed(`${what} ${v} is beyond the integers JavaScript holds exactly`);
  if (v < min || v > max) throw new Refused(`${what} ${v} is out of range`);
}

function fieldOk(v: unknown, t: Field, what: string) {
  if (t === "string") {
    if (typeof v !== "string") throw new Refused(`${what} is not a string`);
  } else if (t === "bool") {
    if (typeof v !== "boolean") throw new Refused(`${what} is not a boolean`);
  } else if (t === "u32") integer(v, what, 0, 0xffffffff);
  else if (t === "u64" || t === "i64") integer(v, what, t === "u64" ? 0 : Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  else if (t === "commitment") {
    if (typeof v !== "string" || !/^[0-9a-f]{64}$/.test(v)) throw new Refused(`${what} must be a commitment: 64 lowercase hex digits`);
  } else if ("enum" in t) {
    if (typeof v !== "string" || !t.enum.includes(v)) throw new Refused(`${what} is not one of ${t.enum.join(", ")}`);
  } else {
    if (!Array.isArray(v)) throw new Refused(`${what} is not a list`);
    v.forEach((x, i) => record(x, t.list, `${what}[${i}]`));
  }
}

/** Checks an object against `spec`: the fields, no others, each of its type. */
function record(v: unknown, spec: Spec, what: string, extra: string[] = []) {
  if (!isRecord(v)) throw new Refused(`${what} is not an object`);
  const known = new Set([...spec.fields.map(([k]) => k), ...extra]);
  for (const k of Object.keys(v)) if (!known.has(k)) throw new Refused(`${what}: unknown field ${k}`);
  for (const [k, t] of spec.fields) {
    if (!(k in v)) {
      if (spec.optional?.includes(k)) continue;
      throw new Refused(`${what}: missing field ${k}`);
    }
    fieldOk(v[k], t, `${what}.${k}`);
  }
}

/** Text fields: at most 2048 bytes of UTF-8, no control characters (Unicode Cc). */
function text(s: string, what: string) {
  if (new TextEncoder().encode(s).length > 2048) throw new Refused(`${what} longer than 2048 bytes`);
  if (/[\u0000-\u001f\u007f-\u009f]/.test(s)) throw new Refused(`${what} contains control characters`);
}

const validId = (s: string) => /^[a-z0-9-]{1,64}$/.test(s);

/** The canonical encoding: compact JSON, keys in the schema's order (what the sensor signed must be it). */
function canonicalOrder(v: unknown, spec: Spec): unknown {
  if (!isRecord(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, t] of spec.fields) {
    if (!(k in v)) continue;
    out[k] = typeof t === "object" && "list" in t && Array.isArray(v[k]) ? (v[k] as unknown[]).map((x) => canonicalOrder(x, t.list)) : v[k];
  }
  return out;
}

/** A statement decoded strictly, as crates/verify `Statement::from_text` does; refused otherwise. */
export function statement(json: unknown, noteText: string): Record<string, Json> {
  record(json, STATEMENT, "statement", ["body"]);
  const st = json as Record<string, Json>;
  if (!isRecord(st.body) || Object.keys(st.body).length !== 1) throw new Refused("statement.body is not one kind of reading");
  const kind = Object.keys(st.body)[0];
  const spec = BODIES[kind];
  if (!spec) throw new Refused(`statement.body: unknown kind ${kind}`);
  const body = st.body[kind];
  record(body, spec, kind);
  const b = body as Record<string, Json>;
  if (st.schema !== "shieldwatch/statement/v1") throw new Refused(`schema ${JSON.stringify(st.schema)}`);
  const sensor = st.sensor as string;
  if (sensor === "" || /[\s+]/u.test(sensor) || new TextEncoder().encode(sensor).length > 128) throw new Refused(`sensor ${JSON.stringify(sensor)} is not a valid key name`);
  if (!validId(st.site as string)) throw new Refused(`site ${JSON.stringify(st.site)} must be 1-64 of [a-z0-9-]`);
  if (st.seq === 0) throw new Refused("seq starts at 1");
  if ((st.time_ms as number) <= 0) throw new Refused(`time_ms ${st.time_ms} is not a Unix time`);
  if (kind === "radar") {
    if ((b.sector_bin as number) >= 36) throw new Refused(`radar.sector_bin ${b.sector_bin} outside 0..36`);
    if ((b.power_class as number) > 3) throw new Refused(`radar.power_class ${b.power_class} outside 0..=3`);
    if (b.transmitting !== (b.mode !== "standby")) throw new Refused("radar.transmitting contradicts radar.mode");
  } else if (kind === "silo") {
    if (b.silo === 0) throw new Refused("silo.silo numbers start at 1");
    if (!b.interceptor_present && b.readiness === "active") throw new Refused("silo.readiness is active with no interceptor present");
  } else if (kind === "inspection") {
    text(b.visit as string, "inspection.visit");
    if ((b.granted_ms as number) < (b.requested_ms as number)) throw new Refused("inspection.granted_ms is before requested_ms");
    for (const f of b.findings as Record<string, string>[]) {
      text(f.code, "inspection.findings.code");
      text(f.text, "inspection.findings.text");
    }
    for (const a of b.attachments as Record<string, string>[]) {
      text(a.name, "inspection.attachments.name");
      if (!/^[0-9a-f]{64}$/.test(a.sha256)) throw new Refused("inspection.attachments.sha256 must be 64 lowercase hex digits");
    }
  } else {
    text(b.subject as string, "notice.subject");
    if ((b.to_ms as number) < (b.from_ms as number)) throw new Refused("notice.to_ms is before from_ms");
  }
  const canonical = JSON.stringify({ ...(canonicalOrder(st, STATEMENT) as object), body: { [kind]: canonicalOrder(b, spec) } });
  if (`${canonical}\n` !== noteText) throw new Refused("statement is not in canonical encoding (compact JSON, schema field order)");
  return st;
}

/** The kind of a decoded statement (`radar`, `silo`, `inspection`, `notice`). */
export function kindOf(st: Record<string, Json>): string {
  return Object.keys(st.body as object)[0];
}

// ---------------------------------------------------------------------------------------------------------
// Rules: CEL, within the subset the agreed rules are written in.

const VARIABLES = {
  statement: ["s", "prev", "has_prev", "notices", "state", "agreement"],
  checkpoint: ["checkpoint", "sensors", "pending_changes", "agreement"],
};
const OPERATORS = new Set(["==", "!=", "<", "<=", ">", ">=", "&&", "||", "!_", "+", "-", "*", "in", ".", "list"]);

interface Ast {
  op: string;
  args: unknown;
}

/** Throws NotReplayed naming the first construct outside the subset: variables of the rule's kind,
 * member access, int/string/bool literals, list literals, comparison, logic, + - *, `in`, and the
 * `exists` and `all` macros. */
function subset(node: Ast, vars: Set<string>, what: string) {
  const sub = (x: unknown, v = vars) => subset(x as Ast, v, what);
  switch (node.op) {
    case "id":
      if (!vars.has(node.args as string)) throw new NotReplayed(`${what} names ${JSON.stringify(node.args)}, not a variable of its rule`);
      return;
    case "value": {
      const v = node.args;
      if (!(typeof v === "bigint" || typeof v === "string" || typeof v === "boolean"))
        throw new NotReplayed(`${what} has the literal ${String(v)}, outside the int, string and bool literals this page replays`);
      return;
    }
    case ".": {
      const [operand] = node.args as [unknown, string];
      sub(operand);
      return;
    }
    case "rcall": {
      const [name, target, args] = node.args as [string, Ast, Ast[]];
      if (!(name === "exists" || name === "all") || args.length !== 2 || args[0].op !== "id")
        throw new NotReplayed(`${what} calls ${name}(), outside the CEL subset this page replays (exists and all macros)`);
      sub(target);
      sub(args[1], new Set([...vars, args[0].args as string]));
      return;
    }
    case "call":
      throw new NotReplayed(`${what} calls ${String((node.args as [string])[0])}(), outside the CEL subset this page replays (exists and all macros)`);
    default:
      if (!OPERATORS.has(node.op)) throw new NotReplayed(`${what} uses ${node.op}, outside the CEL subset this page replays`);
      if (Array.isArray(node.args)) node.args.forEach((a) => sub(a));
      else sub(node.args);
  }
}

type Program = (ctx: Record<string, unknown>) => unknown;

interface Rule {
  text: RuleText;
  on: "statement" | "checkpoint";
  scope: "sensor" | "site" | "deployment";
  when: Program | null;
  require: Program;
}

function compile(r: RuleText, field: "when" | "require", expr: string): Program {
  const what = `rule ${JSON.stringify(r.id)} ${field}`;
  let p: Program & { ast: Ast };
  try {
    p = parse(expr) as unknown as Program & { ast: Ast };
  } catch (e) {
    throw new NotReplayed(`${what} does not parse here: ${(e as Error).message.split("\n")[0]}`);
  }
  subset(p.ast, new Set(VARIABLES[r.on ?? "statement"]), what);
  return p;
}

/** JSON → CEL values: every integer a CEL int (BigInt), as crates/verify `to_cel` does. */
export function toCel(v: unknown): unknown {
  if (typeof v === "number") {
    if (!Number.isInteger(v)) return v;
    if (!Number.isSafeInteger(v)) throw new NotReplayed(`the number ${v} is beyond the integers JavaScript holds exactly`);
    return BigInt(v);
  }
  if (Array.isArray(v)) return v.map(toCel);
  if (isRecord(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toCel(x)]));
  return v;
}

// ---------------------------------------------------------------------------------------------------------
// The engine (crates/verify engine.rs).

/** An admitted entry: a roster version, or a statement with the parties whose keys signed it. */
export type Admitted = { roster: true } | { statement: Record<string, Json>; parties: string[] };

const key = (...parts: string[]) => parts.join("\u0000");

export class Engine {
  private rules: Rule[];
  private agreement: unknown;
  private prev = new Map<string, [Record<string, unknown>, number]>();
  private notices: [Record<string, unknown>, number][] = [];
  private silos = new Map<string, [boolean, number]>();
  private trigger: number | null = null;
  private sensors = new Map<string, { sensor: string; site: string; kind: string; first_seq: number; last_seq: number; received: number; last_time_ms: number; last_index: number }>();
  private pending: { sensor: string; site: string; subject: string; time_ms: number; index: number }[] = [];
  private open = new Set<string>();
  private uncheckpointed: [number, string, number][] = [];
  private lastCosignedMs = 0;
  /** The newest statement time seen, Unix ms. */
  latestTimeMs = 0;
  /** The findings the page cannot word as the verifier does, by entry index (forged, over-collection). */
  readonly unworded = new Map<number, string>();

  constructor(agreed: AgreedRules) {
    this.agreement = toCel(agreed.agreement);
    this.rules = agreed.rules.map((r) => ({
      text: r,
      on: r.on ?? "statement",
      scope: r.scope ?? "sensor",
      when: r.when == null ? null : compile(r, "when", r.when),
      require: compile(r, "require", r.require),
    }));
  }

  private evaluate(rule: Rule, vars: Record<string, unknown>): "not_applicable" | "holds" | "violated" {
    const run = (field: string, p: Program) => {
      let v: unknown;
      try {
        v = p(vars);
      } catch (e) {
        throw new NotReplayed(`rule ${JSON.stringify(rule.text.id)} ${field} fails to evaluate (${(e as Error).message.split("\n")[0]}); the verifier words such a finding itself`);
      }
      if (typeof v !== "boolean") throw new NotReplayed(`rule ${JSON.stringify(rule.text.id)} ${field} does not yield a bool`);
      return v;
    };
    if (rule.when && !run("when", rule.when)) return "not_applicable";
    return run("require", rule.require) ? "holds" : "violated";
  }

  /** The entry at `index`: admitted, or refused (`Refused`, whose `replay` marks a replayed reading). */
  entry(index: number, admitted: Admitted | Refused): Finding[] {
    const out: Finding[] = [];
    if (admitted instanceof Refused) {
      if (admitted.replay) {
        const earlier = this.prev.get(admitted.replay.sensor);
        out.push({ kind: { type: "replay" }, summary: `replayed reading: ${admitted.message}`, sensor: admitted.replay.sensor, index, context: earlier ? [earlier[1]] : [] });
      } else this.unworded.set(index, admitted.message);
      return out;
    }
    if ("roster" in admitted) return out;
    const st = admitted.statement;
    const kind = kindOf(st);
    const sensor = st.sensor as string;
    const seq = st.seq as number;
    const time = st.time_ms as number;
    const view: Record<string, unknown> = { ...st, kind };
    const prev = this.prev.get(sensor);
    if (prev) {
      const [p, pi] = prev;
      const pseq = p.seq as number;
      const ptime = p.time_ms as number;
      if (seq > pseq + 1)
        out.push({ kind: { type: "gap" }, summary: `${sensor}: readings ${pseq + 1}..=${seq - 1} missing (withheld data) between entries ${pi} and ${index}`, sensor, index, context: [pi] });
      if (time < ptime) out.push({ kind: { type: "clock_backwards" }, summary: `${sensor}: seq ${seq} dated ${ptime - time} ms before seq ${pseq}`, sensor, index, context: [pi] });
    }
    if (!st.clock_ok) out.push({ kind: { type: "clock_integrity" }, summary: `${sensor}: seq ${seq} reports its clock integrity lost`, sensor, index, context: [] });

    const body = (st.body as Record<string, Record<string, Json>>)[kind];
    if (kind === "silo") {
      const was = this.silos.get(sensor);
      if (was && was[0] !== body.interceptor_present) this.pending.push({ sensor, site: st.site as string, subject: `silo-${body.silo}`, time_ms: time, index });
      this.silos.set(sensor, [body.interceptor_present as boolean, index]);
    } else if (kind === "notice") {
      this.notices.push([{ ...body, site: st.site, time_ms: time, cosigned: admitted.parties.length >= 2 }, index]);
      if (body.notice === "trigger" && admitted.parties.length >= 2 && this.trigger === null) this.trigger = index;
      if (body.notice === "change") this.pending = this.pending.filter((p) => !(p.site === st.site && p.subject === body.subject));
    }
    const s = this.sensors.get(sensor) ?? { sensor, site: st.site as string, kind, first_seq: seq, last_seq: seq, received: 0, last_time_ms: time, last_index: index };
    this.sensors.set(sensor, s);
    s.last_seq = seq;
    s.received += 1;
    s.last_time_ms = time;
    s.last_index = index;
    this.uncheckpointed.push([index, sensor, time]);
    this.latestTimeMs = Math.max(this.latestTimeMs, time);

    const present = [...this.silos.values()].filter(([p]) => p).length;
    const vars = toCel({
      s: view,
      has_prev: prev !== undefined,
      prev: prev ? prev[0] : {},
      notices: this.notices.map(([n]) => n),
      state: { interceptors_present: present, trigger_cosigned: this.trigger !== null },
    }) as Record<string, unknown>;
    vars.agreement = this.agreement;
    for (const rule of this.rules.filter((r) => r.on === "statement")) {
      const k = key(rule.text.id, rule.scope === "sensor" ? sensor : rule.scope === "site" ? (st.site as string) : "");
      const verdict = this.evaluate(rule, vars);
      if (verdict === "violated") {
        if (!this.open.has(k)) {
          this.open.add(k);
          const context = new Set(this.notices.map(([, i]) => i));
          if (prev) context.add(prev[1]);
          for (const [p, i] of this.silos.values()) if (p) context.add(i);
          if (this.trigger !== null) context.add(this.trigger);
          context.delete(index);
          out.push({
            kind: { type: "rule", detail: rule.text.id },
            summary: `${sensor}: ${rule.text.title} (seq ${seq} at ${time})`,
            sensor,
            index,
            context: [...context].sort((a, b) => a - b),
          });
        }
      } else if (verdict === "holds") this.open.delete(k);
    }
    this.prev.set(sensor, [view, index]);
    return out;
  }

  /**
   * A witness-cosigned checkpoint of `size` entries judged between `earlyMs` and `lateMs` (Unix ms;
   * crates/verify `Engine::checkpoint_between`): a reading dated more than the tolerance after
   * `earlyMs` runs ahead, the rules see `lateMs` as `checkpoint.cosigned_ms` and, at the next
   * checkpoint, `earlyMs` as `checkpoint.previous_cosigned_ms`.
   */
  checkpoint(size: number, earlyMs: number, lateMs: number): Finding[] {
    const out: Finding[] = [];
    const covered = this.uncheckpointed.filter(([i]) => i < size);
    this.uncheckpointed = this.uncheckpointed.filter(([i]) => i >= size);
    for (const [i, sensor, t] of covered) {
      if (t > earlyMs + 60_000)
        out.push({
          kind: { type: "clock_ahead" },
          summary: `${sensor}: entry ${i} dated ${Math.trunc((t - earlyMs) / 1000)} s after the witness cosigned a checkpoint containing it`,
          sensor,
          index: i,
          context: [],
        });
    }
    const sensors = [...this.sensors.keys()].sort().map((k) => {
      const { last_index: _, ...rest } = this.sensors.get(k)!;
      return rest;
    });
    const vars = toCel({
      checkpoint: { size, cosigned_ms: lateMs, previous_cosigned_ms: this.lastCosignedMs },
      sensors,
      pending_changes: this.pending.map(({ sensor, site, subject, time_ms }) => ({ sensor, site, subject, time_ms })),
    }) as Record<string, unknown>;
    vars.agreement = this.agreement;
    for (const rule of this.rules.filter((r) => r.on === "checkpoint")) {
      const k = key(rule.text.id, "");
      const verdict = this.evaluate(rule, vars);
      if (verdict === "violated") {
        if (!this.open.has(k)) {
          this.open.add(k);
          const context = new Set([...this.sensors.values()].map((s) => s.last_index));
          for (const p of this.pending) context.add(p.index);
          out.push({
            kind: { type: "rule", detail: rule.text.id },
            summary: `${rule.text.title} (checkpoint of size ${size})`,
            sensor: null,
            index: Math.max(size - 1, 0),
            context: [...context].sort((a, b) => a - b),
          });
        }
      } else if (verdict === "holds") this.open.delete(k);
    }
    this.lastCosignedMs = earlyMs;
    return out;
  }
}

/** A finding's short name (`rule:<id>`, `gap`, …). */
export function findingName(f: Finding): string {
  return f.kind.type === "rule" ? `rule:${f.kind.detail}` : f.kind.type;
}

/** Whether two findings are equal in every field (kind, summary, sensor, index, context). */
export function sameFinding(a: Finding, b: Finding): boolean {
  return JSON.stringify(canonicalFinding(a)) === JSON.stringify(canonicalFinding(b));
}

/** A finding's fields in the verifier's order, for comparing and showing (as serde_json writes it). */
export function canonicalFinding(f: Finding): Finding {
  const kind = f.kind.type === "rule" ? { type: "rule", detail: f.kind.detail } : { type: f.kind.type };
  return { kind, summary: f.summary, sensor: f.sensor, index: f.index, context: f.context };
}

/** The rule text with the verifier's defaults filled in, for comparing a bundle's rule with the agreed one. */
export function normalRule(r: unknown): string | null {
  if (!isRecord(r)) return null;
  const known = ["id", "title", "source", "on", "scope", "when", "require"];
  if (Object.keys(r).some((k) => !known.includes(k))) return null;
  return JSON.stringify([r.id, r.title, r.source ?? null, r.on ?? "statement", r.scope ?? "sensor", r.when ?? null, r.require]);
}
