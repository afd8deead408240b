//! `/api/v1/tools/events`: calendar events (timed or all-day) with attendees, and each user's
//! secret iCal feed of the events they organise or attend (`/api/v1/tools/events/feed`).

mod api;
mod dto;
mod repo;
mod timing;

pub use api::EventsApi;
pub use dto::{Event, EventCreate, EventPage, EventUpdate};
pub use repo::{feed, render_feed};

// The domain's tag, permissions and feed, so that the handlers still name them `super::...`.
use super::{EVENTS_FEED, TOOLS_EVENTS_READ, TOOLS_EVENTS_WRITE, Tag};
