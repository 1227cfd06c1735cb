//! Builds the browser side of the dashboard (`web/`, TypeScript through vite) into `$OUT_DIR/web-dist`,
//! which `rust-embed` then embeds in the library. Runs `npm ci` first when `web/node_modules` does not
//! match `web/package-lock.json`, and `npm run build` whenever a source of the page changed, so a fresh
//! clone builds with `cargo build` alone. Needs Node.js 20+ and npm (`bash scripts/install-test-deps.sh`
//! or `bash scripts/run.sh` install them on Debian); without them the build stops and says so.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The files and folders of `web/` the built assets depend on.
const SOURCES: &[&str] = &[
    "src",
    "index.html",
    "package.json",
    "package-lock.json",
    "tsconfig.json",
    "vite.config.ts",
];

fn npm(web: &Path, args: &[&str]) {
    let npm = std::env::var("NPM").unwrap_or_else(|_| "npm".into());
    let status = Command::new(&npm).args(args).current_dir(web).status();
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => panic!(
            "`{npm} {}` in {} failed ({s}): the dashboard's web assets could not be built",
            args.join(" "),
            web.display()
        ),
        Err(e) => panic!(
            "building the dashboard's web assets needs Node.js 20+ and npm, but `{npm}` cannot be run ({e}); \
             install them (Debian: `apt-get install nodejs npm`, or `bash scripts/install-test-deps.sh`)"
        ),
    }
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let web = manifest.join("../../web");
    for s in SOURCES {
        println!("cargo:rerun-if-changed={}", web.join(s).display());
    }
    println!("cargo:rerun-if-env-changed=NPM");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("web-dist");

    // `npm ci` only when the installed packages are not those of the lock file (as
    // scripts/install-test-deps.sh does for tests/browser).
    let lock = std::fs::read(web.join("package-lock.json")).expect("web/package-lock.json is readable");
    let marker = web.join("node_modules/.installed-package-lock.json");
    let installed = match std::fs::read(&marker) {
        Ok(bytes) => bytes == lock,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(e) => panic!("reading {}: {e}", marker.display()),
    };
    if !installed {
        npm(
            &web,
            &[
                "ci",
                "--no-audit",
                "--no-fund",
                "--prefer-offline",
                "--loglevel=error",
            ],
        );
        std::fs::write(&marker, &lock).expect("writing web/node_modules/.installed-package-lock.json");
    }
    let out_arg = out.to_str().expect("OUT_DIR is UTF-8");
    npm(
        &web,
        &[
            "run",
            "build",
            "--silent",
            "--",
            "--outDir",
            out_arg,
            "--emptyOutDir",
            "--logLevel",
            "warn",
        ],
    );
    assert!(
        out.join("index.html").is_file(),
        "the web build wrote no index.html into {}",
        out.display()
    );
    println!("cargo:rustc-env=DASHBOARD_DIST={out_arg}");
}
