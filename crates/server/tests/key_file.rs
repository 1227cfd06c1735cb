//! The signing key file: refused when group or others may read or write it, accepted at 0600.

use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};

#[test]
fn a_group_or_world_accessible_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("signing.key");
    let (_, skey) = tlog::LogSigner::generate("key.test/log").unwrap();
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .unwrap();
    f.write_all(skey.as_bytes()).unwrap();
    drop(f);
    server::load_signer(&path).expect("0600 is accepted");
    for mode in [0o640, 0o604, 0o620, 0o660, 0o644] {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        let e = server::load_signer(&path).expect_err("refused");
        let m = e.to_string();
        assert!(m.contains("chmod 600") && m.contains(&format!("{mode:o}")), "{m}");
    }
    dir.close().unwrap();
}
