//! Request and response objects of the tools module.

use chrono::{DateTime, Utc};
use poem_openapi::Object;
use poem_openapi::types::MaybeUndefined;
use uuid::Uuid;

/// A note.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct Note {
    pub id: Uuid,
    pub title: String,
    pub body: Option<String>,
    pub pinned: bool,
    /// The user who wrote it (null once that user is deleted).
    pub author_id: Option<Uuid>,
    /// Incremented by every change; send it back in a PATCH to detect concurrent edits.
    pub version: i32,
    #[serde(serialize_with = "crate::http::serde_json_payload::instant")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::http::serde_json_payload::instant")]
    pub updated_at: DateTime<Utc>,
}

/// A new note.
#[derive(Object)]
#[oai(example)]
pub struct NoteCreate {
    #[oai(validator(min_length = 1, max_length = 200))]
    pub title: String,
    #[oai(validator(max_length = 100000))]
    pub body: Option<String>,
    /// Defaults to false.
    pub pinned: Option<bool>,
}

impl poem_openapi::types::Example for NoteCreate {
    fn example() -> Self {
        NoteCreate {
            title: "N172SP oil change due".into(),
            body: Some("Due at 1,234.5 tach; booked with maintenance for Friday.".into()),
            pinned: Some(true),
        }
    }
}

/// A partial update; absent fields are left as they are, `body: null` clears the body.
#[derive(Object)]
pub struct NoteUpdate {
    #[oai(validator(min_length = 1, max_length = 200))]
    pub title: Option<String>,
    #[oai(validator(max_length = 100000))]
    pub body: MaybeUndefined<String>,
    pub pinned: Option<bool>,
    /// When given, the update applies only if the note still has this version (else `409`).
    pub version: Option<i32>,
}

/// A page of notes, newest first.
#[derive(Object, serde::Serialize)]
// Written by serde straight to bytes (`crate::http::SerdeJson`); a unit test below holds its
// JSON equal to what this `Object` documents.
pub struct NotePage {
    pub items: Vec<Note>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use poem_openapi::types::ToJSON;

    use super::*;

    /// The list is written by serde (`SerdeJson`) and documented by its `Object`: the two must
    /// give the same JSON, field by field (instants, nulls, escapes).
    #[test]
    fn the_page_serde_writes_is_what_its_schema_says() {
        let at = |s: &str| s.parse::<DateTime<Utc>>().expect("instant");
        let note = |id: u128, body: Option<&str>, author: Option<Uuid>| Note {
            id: Uuid::from_u128(id),
            title: "Oil \"change\" \u{e9}\n\u{1}".into(),
            body: body.map(Into::into),
            pinned: id == 1,
            author_id: author,
            version: 3,
            created_at: at("2026-12-07T14:00:00.123456789Z"),
            updated_at: at("2026-12-07T14:05:00Z"),
        };
        for page in [
            NotePage {
                items: vec![
                    note(1, Some("<b>&</b>"), Some(Uuid::from_u128(9))),
                    note(2, None, None),
                ],
                next_cursor: Some("abc".into()),
            },
            NotePage {
                items: vec![],
                next_cursor: None,
            },
        ] {
            let by_serde = serde_json::to_value(&page).expect("serde");
            assert_eq!(by_serde, page.to_json().expect("to_json"));
        }
        let one = NotePage {
            items: vec![note(2, None, None)],
            next_cursor: None,
        };
        let v = serde_json::to_value(&one).expect("serde");
        assert_eq!(
            v["items"][0]["created_at"],
            "2026-12-07T14:00:00.123456789+00:00"
        );
        assert_eq!(v["items"][0]["body"], serde_json::Value::Null);
        assert_eq!(v["next_cursor"], serde_json::Value::Null);
    }
}
