//! `shieldwatch-fuzz <target>`: runs one fuzz target of `fuzz-targets` under AFL++
//! (`cargo afl fuzz -i fuzz/corpus/<target> -o <out> fuzz/target/release/shieldwatch-fuzz
//! <target>`; FUZZING.md). Built with `cargo afl build --release` in this directory.

fn main() {
    let name = std::env::args().nth(1).unwrap_or_default();
    let Some(target) = fuzz_targets::target(&name) else {
        let names: Vec<&str> = fuzz_targets::TARGETS.iter().map(|(n, _)| *n).collect();
        eprintln!("usage: shieldwatch-fuzz <target>; targets: {}", names.join(", "));
        std::process::exit(2);
    };
    afl::fuzz!(|data: &[u8]| {
        target(data);
    });
}
