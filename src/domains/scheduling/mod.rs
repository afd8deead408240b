//! Scheduling: bookings of aircraft, instructors and simulators (no double booking: exclusion
//! constraints), the dispatch rule engine (`rules.rs`), check-out and check-in, cancellations,
//! the waitlist, calendar views, instructor availability and opening hours. See
//! docs/scheduling.md.

pub mod api;
pub mod calendar;
pub mod checkin;
pub mod config;
pub mod dto;
pub mod feeds;
pub(crate) mod repo;
pub mod rules;
pub mod service;
pub mod waitlist;

use poem_openapi::Tags;

use crate::kernel::TenantKind::{CharterOperator, FlightSchool};
use crate::kernel::manifest::{FeedKind, Flag, Manifest, Permission};
use crate::kernel::roles::{charter, school};

/// The OpenAPI tags of this domain.
#[derive(Tags)]
pub enum Tag {
    /// Bookings, dispatch rules, check-out and check-in, waitlist, calendar, availability.
    Scheduling,
}

/// The APIs of this domain, in the order the OpenAPI document lists them.
pub type Apis = (
    api::BookingsApi,
    calendar::CalendarApi,
    config::SchedulingConfigApi,
    waitlist::WaitlistApi,
    feeds::FeedsApi,
);

pub fn apis() -> Apis {
    (
        api::BookingsApi,
        calendar::CalendarApi,
        config::SchedulingConfigApi,
        waitlist::WaitlistApi,
        feeds::FeedsApi,
    )
}

pub const MANIFEST: Manifest = Manifest {
    name: "scheduling",
    prefixes: &["/api/v1/scheduling"],
    flags: &[Flag {
        key: "scheduling",
        description: "Bookings, availability and dispatch",
        prefix: "/api/v1/scheduling",
        on_for: &[FlightSchool, CharterOperator],
    }],
    permissions: &[
        SCHEDULING_READ,
        SCHEDULING_BOOK,
        SCHEDULING_MANAGE,
        SCHEDULING_OVERRIDE,
    ],
    attachments: &[],
    feeds: &[BOOKINGS_FEED, AIRCRAFT_BOOKINGS_FEED],
    links: &[],
    jobs: &[],
    limits: &[],
    payment_events: &[],
    reference: &[],
    shared_jobs: &[],
};

/// The calendar feed of the bookings a user flies or teaches.
pub const BOOKINGS_FEED: FeedKind = FeedKind {
    key: "bookings",
    flag: "scheduling",
    permission: "scheduling.read",
    render: feeds::render_user_bookings,
};

/// The calendar feed of every booking of one aircraft (the subject), as busy time.
pub const AIRCRAFT_BOOKINGS_FEED: FeedKind = FeedKind {
    key: "aircraft_bookings",
    flag: "scheduling",
    permission: "scheduling.read",
    render: feeds::render_aircraft_bookings,
};

/// View the schedule.
pub const SCHEDULING_READ: Permission = Permission::new(
    "scheduling.read",
    "View the schedule",
    &[
        school::ORGANIZATION_ADMIN,
        school::INSTRUCTOR,
        school::STUDENT,
        school::STAFF,
        school::MECHANIC,
        school::TRAINER,
        charter::DISPATCHER,
        charter::PILOT,
    ],
);
/// Book resources for oneself.
pub const SCHEDULING_BOOK: Permission = Permission::new(
    "scheduling.book",
    "Book resources for oneself",
    &[
        school::ORGANIZATION_ADMIN,
        school::INSTRUCTOR,
        school::STUDENT,
        school::STAFF,
    ],
);
/// Book for others, move and cancel any booking, dispatch.
pub const SCHEDULING_MANAGE: Permission = Permission::new(
    "scheduling.manage",
    "Book for others, move and cancel any booking, dispatch",
    &[
        school::ORGANIZATION_ADMIN,
        school::INSTRUCTOR,
        school::STAFF,
        charter::DISPATCHER,
    ],
);
/// Override dispatch rules that block a booking.
pub const SCHEDULING_OVERRIDE: Permission = Permission::new(
    "scheduling.override",
    "Override dispatch rules that block a booking",
    &[school::ORGANIZATION_ADMIN],
);
