// goproofs times proof verification with golang.org/x/mod/sumdb/tlog (Debian's
// golang-golang-x-mod-dev) on the proofs our `proofs` benchmark exports, so both implementations
// verify exactly the same inclusion and consistency proofs.
//
// Usage: goproofs <proofs.json>   (written by `TLOG_PROOFS_OUT=<file> cargo bench -p tlog --bench proofs`)
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

type export struct {
	Size      int64  `json:"size"`
	Root      string `json:"root"`
	Inclusion []struct {
		Index int64    `json:"index"`
		Leaf  string   `json:"leaf"`
		Proof []string `json:"proof"`
	} `json:"inclusion"`
	Consistency []struct {
		Old     int64    `json:"old"`
		OldRoot string   `json:"old_root"`
		Proof   []string `json:"proof"`
	} `json:"consistency"`
}

func hash(s string) tlog.Hash {
	h, err := tlog.ParseHash(s)
	if err != nil {
		fmt.Fprintf(os.Stderr, "goproofs: bad hash %q: %v\n", s, err)
		os.Exit(1)
	}
	return h
}

func hashes(ss []string) []tlog.Hash {
	out := make([]tlog.Hash, len(ss))
	for i, s := range ss {
		out[i] = hash(s)
	}
	return out
}

func main() {
	data, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "goproofs:", err)
		os.Exit(1)
	}
	var e export
	if err := json.Unmarshal(data, &e); err != nil {
		fmt.Fprintln(os.Stderr, "goproofs:", err)
		os.Exit(1)
	}
	root := hash(e.Root)
	type incl struct {
		index int64
		leaf  tlog.Hash
		proof tlog.RecordProof
	}
	type cons struct {
		old     int64
		oldRoot tlog.Hash
		proof   tlog.TreeProof
	}
	var is []incl
	for _, p := range e.Inclusion {
		is = append(is, incl{p.Index, hash(p.Leaf), tlog.RecordProof(hashes(p.Proof))})
	}
	var cs []cons
	for _, p := range e.Consistency {
		cs = append(cs, cons{p.Old, hash(p.OldRoot), tlog.TreeProof(hashes(p.Proof))})
	}
	// Every proof must verify before anything is timed.
	for _, p := range is {
		if err := tlog.CheckRecord(p.proof, e.Size, root, p.index, p.leaf); err != nil {
			fmt.Fprintf(os.Stderr, "goproofs: inclusion of %d: %v\n", p.index, err)
			os.Exit(1)
		}
	}
	for _, p := range cs {
		if err := tlog.CheckTree(p.proof, e.Size, root, p.old, p.oldRoot); err != nil {
			fmt.Fprintf(os.Stderr, "goproofs: consistency from %d: %v\n", p.old, err)
			os.Exit(1)
		}
	}
	best := func(f func(b *testing.B)) float64 {
		ns := 0.0
		for r := 0; r < 5; r++ {
			res := testing.Benchmark(f)
			v := float64(res.T.Nanoseconds()) / float64(res.N)
			if r == 0 || v < ns {
				ns = v
			}
		}
		return ns
	}
	inclNs := best(func(b *testing.B) {
		for n := 0; n < b.N; n++ {
			for _, p := range is {
				if tlog.CheckRecord(p.proof, e.Size, root, p.index, p.leaf) != nil {
					b.Fatal("inclusion")
				}
			}
		}
	}) / float64(len(is))
	consNs := best(func(b *testing.B) {
		for n := 0; n < b.N; n++ {
			for _, p := range cs {
				if tlog.CheckTree(p.proof, e.Size, root, p.old, p.oldRoot) != nil {
					b.Fatal("consistency")
				}
			}
		}
	}) / float64(len(cs))
	fmt.Printf("go x/mod tlog: %d inclusion proofs: %.0f ns per proof; %d consistency proofs: %.0f ns per proof (best of 5)\n",
		len(is), inclNs, len(cs), consNs)
}
