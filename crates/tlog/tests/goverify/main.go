// goverify checks a shieldwatch log directory with golang.org/x/mod/sumdb/{note,tlog}, an
// implementation we did not write (Debian's golang-golang-x-mod-dev, v0.7.0).
//
// Usage: goverify -dir <public dir> -vkey <verifier key> [-old <old checkpoint file>] [-samples N] [-seed S]
//
// It verifies the checkpoint's signature (note.Open), authenticates every tile it reads against
// the checkpoint's root (tlog.TileHashReader) and recomputes the root (tlog.TreeHash), checks
// inclusion of sampled entries read from the entry bundles (tlog.ProveRecord/CheckRecord), and
// checks consistency with an older checkpoint (tlog.ProveTree/CheckTree).
//
// x/mod names tiles "tile/8/<L>/<N>" and data tiles "tile/8/data/<N>"; c2sp.org/tlog-tiles,
// which the log follows, uses "tile/<L>/<N>" and "tile/entries/<N>". Only that path mapping is
// ours; the hashing and proof checks are x/mod's.
package main

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "goverify: FAIL: "+format+"\n", args...)
	os.Exit(1)
}

// c2spPath maps an x/mod tile path to the c2sp.org/tlog-tiles one.
func c2spPath(t tlog.Tile) string {
	p := t.Path()
	if !strings.HasPrefix(p, "tile/8/") {
		fail("unexpected tile height in %s", p)
	}
	p = "tile/" + strings.TrimPrefix(p, "tile/8/")
	if strings.HasPrefix(p, "tile/data/") {
		p = "tile/entries/" + strings.TrimPrefix(p, "tile/data/")
	}
	return p
}

type dirTiles struct{ dir string }

func (d dirTiles) Height() int { return 8 }

func (d dirTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		b, err := os.ReadFile(filepath.Join(d.dir, filepath.FromSlash(c2spPath(t))))
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

func (d dirTiles) SaveTiles(tiles []tlog.Tile, data [][]byte) {}

type checkpoint struct {
	origin string
	tree   tlog.Tree
}

// openCheckpoint verifies the signed note and parses c2sp.org/tlog-checkpoint's three lines.
func openCheckpoint(msg []byte, v note.Verifier) checkpoint {
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		fail("checkpoint signature: %v", err)
	}
	lines := strings.SplitN(n.Text, "\n", 4)
	if len(lines) < 4 {
		fail("checkpoint has fewer than three lines")
	}
	if lines[0] != v.Name() {
		fail("checkpoint origin %q is not the key name %q", lines[0], v.Name())
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		fail("bad tree size %q", lines[1])
	}
	h, err := tlog.ParseHash(lines[2])
	if err != nil {
		fail("bad root hash %q: %v", lines[2], err)
	}
	return checkpoint{origin: lines[0], tree: tlog.Tree{N: size, Hash: h}}
}

// entry reads entry i from its bundle as published for a tree of size n.
func entry(dir string, i, n int64) []byte {
	t := tlog.Tile{H: 8, L: -1, N: i / 256, W: 256}
	if rest := n - t.N*256; rest < 256 {
		t.W = int(rest)
	}
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(c2spPath(t))))
	if err != nil {
		fail("entry bundle: %v", err)
	}
	var entries [][]byte
	for len(b) > 0 {
		if len(b) < 2 {
			fail("truncated bundle %s", c2spPath(t))
		}
		l := int(binary.BigEndian.Uint16(b))
		if len(b) < 2+l {
			fail("truncated entry in %s", c2spPath(t))
		}
		entries = append(entries, b[2:2+l])
		b = b[2+l:]
	}
	if len(entries) != t.W {
		fail("bundle %s holds %d entries, want %d", c2spPath(t), len(entries), t.W)
	}
	return entries[i%256]
}

func main() {
	dir := flag.String("dir", "", "the log's public directory (holds checkpoint and tile/)")
	vkey := flag.String("vkey", "", "verifier key")
	old := flag.String("old", "", "older checkpoint file to check consistency with")
	samples := flag.Int("samples", 50, "entries to check inclusion of (plus the first and last)")
	seed := flag.Int64("seed", 1, "sampling seed")
	expect := flag.String("expect-prefix", "", "each sampled entry must start with this")
	all := flag.Bool("all", false, "also check every entry's leaf hash against the authenticated level-0 tiles")
	flag.Parse()

	v, err := note.NewVerifier(strings.TrimSpace(*vkey))
	if err != nil {
		fail("verifier key: %v", err)
	}
	msg, err := os.ReadFile(filepath.Join(*dir, "checkpoint"))
	if err != nil {
		fail("%v", err)
	}
	cp := openCheckpoint(msg, v)
	if cp.tree.N == 0 {
		fail("empty tree")
	}
	thr := tlog.TileHashReader(cp.tree, dirTiles{*dir})
	root, err := tlog.TreeHash(cp.tree.N, thr)
	if err != nil || root != cp.tree.Hash {
		fail("tree hash from tiles: %v (got %v, want %v)", err, root, cp.tree.Hash)
	}

	rng := rand.New(rand.NewSource(*seed))
	idx := []int64{0, cp.tree.N - 1}
	for k := 0; k < *samples; k++ {
		idx = append(idx, rng.Int63n(cp.tree.N))
	}
	for _, i := range idx {
		e := entry(*dir, i, cp.tree.N)
		if !bytes.HasPrefix(e, []byte(*expect)) {
			fail("entry %d does not start with %q", i, *expect)
		}
		p, err := tlog.ProveRecord(cp.tree.N, i, thr)
		if err != nil {
			fail("proof for entry %d: %v", i, err)
		}
		if err := tlog.CheckRecord(p, cp.tree.N, cp.tree.Hash, i, tlog.RecordHash(e)); err != nil {
			fail("inclusion of entry %d: %v", i, err)
		}
	}
	if *all {
		// Every leaf: hash each entry from its bundle and compare with the leaf hash that the
		// tile reader returns, authenticated up to the checkpoint's root.
		indexes := make([]int64, cp.tree.N)
		for i := range indexes {
			indexes[i] = tlog.StoredHashIndex(0, int64(i))
		}
		leaves, err := thr.ReadHashes(indexes)
		if err != nil {
			fail("reading leaf hashes: %v", err)
		}
		for i := int64(0); i < cp.tree.N; i++ {
			if tlog.RecordHash(entry(*dir, i, cp.tree.N)) != leaves[i] {
				fail("leaf hash of entry %d does not match the tiles", i)
			}
		}
		fmt.Printf("all %d leaf hashes match the tiles\n", cp.tree.N)
	}
	fmt.Printf("checkpoint %s size %d root %v: signature, tiles and %d inclusion proofs OK\n", cp.origin, cp.tree.N, cp.tree.Hash, len(idx))

	if *old != "" {
		msg, err := os.ReadFile(*old)
		if err != nil {
			fail("%v", err)
		}
		o := openCheckpoint(msg, v)
		if o.tree.N == 0 || o.tree.N > cp.tree.N {
			fail("old tree size %d not in 1..%d", o.tree.N, cp.tree.N)
		}
		p, err := tlog.ProveTree(cp.tree.N, o.tree.N, thr)
		if err != nil {
			fail("consistency proof: %v", err)
		}
		if err := tlog.CheckTree(p, cp.tree.N, cp.tree.Hash, o.tree.N, o.tree.Hash); err != nil {
			fail("consistency %d -> %d: %v", o.tree.N, cp.tree.N, err)
		}
		fmt.Printf("consistency %d -> %d OK\n", o.tree.N, cp.tree.N)
	}
}
