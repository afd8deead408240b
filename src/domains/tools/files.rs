//! What an uploaded file may be: its type judged from its first bytes (never from its name or
//! the client's word alone), and its name cleaned of any path.

/// The types accepted for attachments, with how they are recognised.
pub const ACCEPTED: &[&str] = &[
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "text/plain",
    "text/csv",
    "application/zip",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
];

/// How many leading bytes [`sniff`] looks at.
pub const SNIFF_LEN: usize = 8192;

/// The type the bytes show, from the magic numbers of the accepted binary formats, or
/// `text/plain` for UTF-8 text that is not markup. `None`: not an accepted type (executables,
/// HTML, SVG, anything unrecognised).
pub fn sniff(head: &[u8]) -> Option<&'static str> {
    let magic: &[(&[u8], &str)] = &[
        (b"%PDF-", "application/pdf"),
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"\xFF\xD8\xFF", "image/jpeg"),
        (b"GIF87a", "image/gif"),
        (b"GIF89a", "image/gif"),
        (b"PK\x03\x04", "application/zip"),
    ];
    if let Some((_, ty)) = magic.iter().find(|(m, _)| head.starts_with(m)) {
        return Some(ty);
    }
    if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        return Some("image/webp");
    }
    is_plain_text(head).then_some("text/plain")
}

fn is_plain_text(head: &[u8]) -> bool {
    if head.is_empty() || head.contains(&0) {
        return false;
    }
    let text = match std::str::from_utf8(head) {
        Ok(t) => t,
        // The sample may end inside a multi-byte character.
        Err(e) if e.error_len().is_none() && head.len() - e.valid_up_to() < 4 => {
            std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or_default()
        }
        Err(_) => return false,
    };
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\u{c}'))
    {
        return false;
    }
    // Markup would be rendered by a browser that ignored our Content-Type: not plain text.
    let lower = text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .to_ascii_lowercase();
    let markup = [
        "<!doctype",
        "<html",
        "<svg",
        "<?xml",
        "<script",
        "<body",
        "<head",
    ];
    !(markup.iter().any(|m| lower.starts_with(m))
        || lower.contains("<script")
        || lower.contains("<html"))
}

/// Why a file is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The bytes are not any accepted type.
    NotAccepted,
    /// The client declared one accepted type and the bytes are another.
    Mismatch {
        declared: String,
        actual: &'static str,
    },
}

/// The content type an upload is stored and served with: what the bytes are, refined by the
/// declared type where the bytes cannot tell (a `.docx` is a zip; CSV is text).
pub fn judge(declared: Option<&str>, head: &[u8]) -> Result<String, Refusal> {
    let actual = sniff(head).ok_or(Refusal::NotAccepted)?;
    let declared = declared
        .and_then(|d| d.split(';').next())
        .map(|d| d.trim().to_ascii_lowercase())
        .filter(|d| !d.is_empty() && d != "application/octet-stream");
    let Some(declared) = declared else {
        return Ok(actual.to_owned());
    };
    let refines = match actual {
        "application/zip" => {
            declared.starts_with("application/vnd.openxmlformats-officedocument.")
                || declared.starts_with("application/vnd.oasis.opendocument.")
                || declared == "application/x-zip-compressed"
        }
        "text/plain" => declared == "text/csv",
        _ => false,
    };
    if declared == actual || (refines && ACCEPTED.contains(&declared.as_str())) {
        Ok(declared)
    } else if refines {
        Ok(actual.to_owned())
    } else {
        Err(Refusal::Mismatch { declared, actual })
    }
}

/// The file name to keep: the last path segment of what the client sent, without control
/// characters, leading dots or surrounding spaces, at most 255 bytes; `file` if nothing is left.
pub fn clean_file_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | ':' | '*' | '?' | '<' | '>' | '|'))
        .collect();
    let trimmed = cleaned.trim().trim_start_matches('.').trim();
    let mut out = String::new();
    for c in trimmed.chars() {
        if out.len() + c.len_utf8() > 255 {
            break;
        }
        out.push(c);
    }
    let out = out.trim_end_matches(['.', ' ']).to_owned();
    if out.is_empty() { "file".into() } else { out }
}

/// `Content-Disposition: attachment` with an ASCII fallback name and the exact name in RFC 5987
/// encoding.
pub fn content_disposition(file_name: &str) -> String {
    let ascii: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in file_name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_accepted_types_and_refuses_the_rest() {
        assert_eq!(sniff(b"%PDF-1.7\n..."), Some("application/pdf"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0"), Some("image/png"));
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0"), Some("image/jpeg"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff(b"PK\x03\x04rest"), Some("application/zip"));
        assert_eq!(sniff("Tach 1234.5, oil ✓\n".as_bytes()), Some("text/plain"));
        assert_eq!(sniff(b"MZ\x90\0\x03\0\0\0"), None, "a Windows executable");
        assert_eq!(sniff(b"\x7fELF\x02\x01"), None, "an ELF binary");
        assert_eq!(sniff(b"<!DOCTYPE html><html>"), None);
        assert_eq!(
            sniff(b"  <svg xmlns=\"...\"><script>alert(1)</script>"),
            None
        );
        assert_eq!(sniff(b"hello <script>alert(1)</script>"), None);
        assert_eq!(sniff(b""), None);
        // A sample cut inside a multi-byte character is still text.
        let mut cut = "é".repeat(10).into_bytes();
        cut.pop();
        assert_eq!(sniff(&cut), Some("text/plain"));
    }

    #[test]
    fn declared_types_must_agree_with_the_bytes() {
        assert_eq!(
            judge(Some("application/pdf"), b"%PDF-1.4").as_deref(),
            Ok("application/pdf")
        );
        assert_eq!(judge(None, b"%PDF-1.4").as_deref(), Ok("application/pdf"));
        assert_eq!(
            judge(Some("application/octet-stream"), b"\x89PNG\r\n\x1a\n").as_deref(),
            Ok("image/png")
        );
        assert_eq!(
            judge(Some("text/csv; charset=utf-8"), b"a,b\n1,2\n").as_deref(),
            Ok("text/csv")
        );
        let docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
        assert_eq!(judge(Some(docx), b"PK\x03\x04").as_deref(), Ok(docx));
        assert_eq!(
            judge(Some("image/png"), b"%PDF-1.4"),
            Err(Refusal::Mismatch {
                declared: "image/png".into(),
                actual: "application/pdf"
            })
        );
        assert_eq!(
            judge(Some("text/html"), b"<html>"),
            Err(Refusal::NotAccepted)
        );
        assert_eq!(
            judge(Some("image/jpeg"), b"plain words"),
            Err(Refusal::Mismatch {
                declared: "image/jpeg".into(),
                actual: "text/plain"
            })
        );
    }

    #[test]
    fn file_names_lose_their_paths() {
        assert_eq!(clean_file_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_file_name("..\\..\\windows\\win.ini"), "win.ini");
        assert_eq!(clean_file_name("/abs/path/report.pdf"), "report.pdf");
        assert_eq!(clean_file_name(".."), "file");
        assert_eq!(clean_file_name("..."), "file");
        assert_eq!(clean_file_name(".htaccess"), "htaccess");
        assert_eq!(clean_file_name("a\u{0}b\r\n.pdf"), "ab.pdf");
        assert_eq!(
            clean_file_name("  weight & balance.pdf "),
            "weight & balance.pdf"
        );
        assert_eq!(clean_file_name("Überprüfung.pdf"), "Überprüfung.pdf");
        assert_eq!(clean_file_name(""), "file");
        assert!(clean_file_name(&"é".repeat(300)).len() <= 255);
    }

    #[test]
    fn dispositions_are_safe_headers() {
        assert_eq!(
            content_disposition("Über \"quote\".pdf"),
            "attachment; filename=\"_ber _quote_.pdf\"; filename*=UTF-8''%C3%9Cber%20%22quote%22.pdf"
        );
    }
}
