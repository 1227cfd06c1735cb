// goevidence checks the cryptographic core of a shieldwatch evidence bundle with
// golang.org/x/mod/sumdb/{note,tlog}, an implementation we did not write (Debian's
// golang-golang-x-mod-dev): the checkpoint's log signature (note.Open), every bundled entry's
// inclusion proof against the checkpoint's root (tlog.CheckRecord), and every statement's or
// roster's signature by one of the given keys (note.Open), and that the entries are exactly the
// indexes of the bundle's proven-complete range (so none of that range was left out).
//
// Usage: goevidence -bundle <evidence.json> -log <log verifier key> <signer verifier key>...
//
// Witness cosignatures (cosignature/v1) are unknown to x/mod's note package and are ignored; the
// rule re-evaluation is shieldwatch's own (CEL).
package main

import (
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type provenEntry struct {
	Index int64    `json:"index"`
	Entry string   `json:"entry"`
	Proof []string `json:"proof"`
}

type indexRange struct {
	From *int64 `json:"from"`
	To   *int64 `json:"to"`
}

type bundle struct {
	Checkpoint string        `json:"checkpoint"`
	Complete   *indexRange   `json:"complete"`
	Entries    []provenEntry `json:"entries"`
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "goevidence: FAIL: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	path := flag.String("bundle", "", "evidence bundle (JSON)")
	logKey := flag.String("log", "", "log verifier key")
	flag.Parse()
	raw, err := os.ReadFile(*path)
	if err != nil {
		fail("%v", err)
	}
	var b bundle
	if err := json.Unmarshal(raw, &b); err != nil {
		fail("bundle: %v", err)
	}
	lv, err := note.NewVerifier(*logKey)
	if err != nil {
		fail("log key: %v", err)
	}
	cp, err := note.Open([]byte(b.Checkpoint), note.VerifierList(lv))
	if err != nil {
		fail("checkpoint: %v", err)
	}
	lines := strings.Split(cp.Text, "\n")
	if len(lines) < 3 {
		fail("checkpoint text has %d lines", len(lines))
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		fail("checkpoint size: %v", err)
	}
	rootBytes, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(rootBytes) != tlog.HashSize {
		fail("checkpoint root: %v", err)
	}
	var root tlog.Hash
	copy(root[:], rootBytes)

	var signers []note.Verifier
	for _, k := range flag.Args() {
		v, err := note.NewVerifier(k)
		if err != nil {
			fail("signer key %q: %v", k, err)
		}
		signers = append(signers, v)
	}
	known := note.VerifierList(signers...)
	if b.Complete == nil || b.Complete.From == nil || b.Complete.To == nil {
		fail("the bundle names no proven-complete range")
	}
	from, to := *b.Complete.From, *b.Complete.To
	if from < 0 || to < from || to > size {
		fail("complete range %d..%d is not within the checkpoint of size %d", from, to, size)
	}
	for k, e := range b.Entries {
		if e.Index != from+int64(k) {
			fail("entry %d of the complete range %d..%d is missing (found entry %d)", from+int64(k), from, to, e.Index)
		}
	}
	if int64(len(b.Entries)) != to-from {
		fail("complete range %d..%d does not match %d entries", from, to, len(b.Entries))
	}
	for _, e := range b.Entries {
		entry, err := base64.StdEncoding.DecodeString(e.Entry)
		if err != nil {
			fail("entry %d: %v", e.Index, err)
		}
		var proof tlog.RecordProof
		for _, h := range e.Proof {
			hb, err := base64.StdEncoding.DecodeString(h)
			if err != nil || len(hb) != tlog.HashSize {
				fail("entry %d: proof hash %q", e.Index, h)
			}
			var hash tlog.Hash
			copy(hash[:], hb)
			proof = append(proof, hash)
		}
		if err := tlog.CheckRecord(proof, size, root, e.Index, tlog.RecordHash(entry)); err != nil {
			fail("entry %d not included in the tree of size %d: %v", e.Index, size, err)
		}
		n, err := note.Open(entry, known)
		if err != nil {
			fail("entry %d signature: %v", e.Index, err)
		}
		names := []string{}
		for _, s := range n.Sigs {
			names = append(names, s.Name)
		}
		fmt.Printf("entry %d: included, signed by %s\n", e.Index, strings.Join(names, ", "))
	}
	fmt.Printf("OK: checkpoint of size %d signed by %s; %d entries included and signed; entries %d..%d complete\n", size, lv.Name(), len(b.Entries), from, to)
}
