//! Running `pg_dump` / `pg_restore` against the tenant database (the password kept out of the
//! process list) and checksumming their files.

use std::path::Path;

use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;

use crate::state::AppState;

/// A PostgreSQL URL without its password, and the password (passed to pg_dump / pg_restore in
/// `PGPASSWORD`, so it never shows in a process list).
fn split_password(url: &str) -> (String, Option<String>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_owned(), None);
    };
    let Some((userinfo, host)) = rest.rsplit_once('@') else {
        return (url.to_owned(), None);
    };
    match userinfo.split_once(':') {
        Some((user, password)) => (
            format!("{scheme}://{user}@{host}"),
            Some(percent_decode(password)),
        ),
        None => (url.to_owned(), None),
    }
}

/// `%XX` escapes of a URL component decoded (the password as the server knows it).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(b) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub(super) fn pg_command(program: &str, state: &AppState) -> (tokio::process::Command, String) {
    let url = state
        .settings
        .database
        .direct_url()
        .unwrap_or(state.settings.database_url())
        .to_owned();
    let (url, password) = split_password(&url);
    let mut cmd = tokio::process::Command::new(program);
    if let Some(p) = password {
        cmd.env("PGPASSWORD", p);
    }
    cmd.kill_on_drop(true);
    (cmd, url)
}

pub(super) async fn sha256_of(path: &Path) -> std::io::Result<(String, u64)> {
    let mut f = tokio::fs::File::open(path).await?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut len = 0u64;
    loop {
        let n = f.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        len += n as u64;
        h.update(&buf[..n]);
    }
    Ok((hex::encode(h.finalize()), len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_leave_the_url() {
        assert_eq!(
            split_password("postgres://app:s3cr%40t@db:5432/flightline"),
            (
                "postgres://app@db:5432/flightline".into(),
                Some("s3cr@t".into())
            )
        );
        assert_eq!(
            split_password("postgres://postgres@127.0.0.1/x"),
            ("postgres://postgres@127.0.0.1/x".into(), None)
        );
    }
}
