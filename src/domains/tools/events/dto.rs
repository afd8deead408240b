//! The objects of `/api/v1/tools/events`: an event, its create and update bodies, a page.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use poem_openapi::Object;
use poem_openapi::types::MaybeUndefined;
use uuid::Uuid;

/// A calendar event.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct Event {
    pub id: Uuid,
    pub title: String,
    pub description: Option<String>,
    pub location: Option<String>,
    pub all_day: bool,
    /// The start; for all-day events the start of `start_date` in the tenant's time zone.
    pub starts_at: DateTime<Utc>,
    /// The end (exclusive); for all-day events the end of `end_date` in the tenant's time zone.
    pub ends_at: DateTime<Utc>,
    /// All-day events: the first day.
    pub start_date: Option<NaiveDate>,
    /// All-day events: the last day (inclusive).
    pub end_date: Option<NaiveDate>,
    /// The user who created it (null once that user is deleted).
    pub organizer_id: Option<Uuid>,
    /// Users of this tenant invited to it.
    pub attendee_ids: Vec<Uuid>,
    /// Incremented by every change; send it back in a PATCH to detect concurrent edits.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new event: timed (`starts_at` and `ends_at`) or all-day (`all_day: true`, `start_date`
/// and optionally `end_date`, which defaults to `start_date`).
#[derive(Object)]
#[oai(example)]
pub struct EventCreate {
    #[oai(validator(min_length = 1, max_length = 200))]
    pub title: String,
    #[oai(validator(max_length = 10000))]
    pub description: Option<String>,
    #[oai(validator(max_length = 200))]
    pub location: Option<String>,
    /// Defaults to false.
    pub all_day: Option<bool>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    /// Users of this tenant to invite (at most 200).
    #[oai(validator(max_items = 200))]
    pub attendee_ids: Option<Vec<Uuid>>,
}

impl poem_openapi::types::Example for EventCreate {
    fn example() -> Self {
        let start = DateTime::parse_from_rfc3339("2026-12-12T08:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        Self {
            title: "Winter operations briefing".into(),
            description: Some(
                "De-icing, cold starts, short days. Mandatory for all instructors.".into(),
            ),
            location: Some("Briefing room 2".into()),
            all_day: Some(false),
            starts_at: Some(start),
            ends_at: Some(start + Duration::hours(2)),
            start_date: None,
            end_date: None,
            attendee_ids: Some(vec![]),
        }
    }
}

/// A partial update; absent fields are kept. Changing `all_day` needs the fields of the new
/// kind (`starts_at`/`ends_at`, or `start_date`).
#[derive(Object)]
pub struct EventUpdate {
    #[oai(validator(min_length = 1, max_length = 200))]
    pub title: Option<String>,
    #[oai(validator(max_length = 10000))]
    pub description: MaybeUndefined<String>,
    #[oai(validator(max_length = 200))]
    pub location: MaybeUndefined<String>,
    pub all_day: Option<bool>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    /// Replaces the attendees.
    #[oai(validator(max_items = 200))]
    pub attendee_ids: Option<Vec<Uuid>>,
    /// When given, the update applies only if the event still has this version (else `409`).
    pub version: Option<i32>,
}

#[derive(Object)]
pub struct EventPage {
    pub items: Vec<Event>,
    pub next_cursor: Option<String>,
}
