//! Tools: notes, tasks, call logs, attachments, calendar events, reviews.

pub mod api;
pub mod attachments;
pub mod calls;
pub mod dto;
pub mod events;
mod files;
mod repo;
pub mod reviews;
pub mod tasks;

use poem_openapi::Tags;

use crate::kernel::manifest::{ALL_KINDS, AttachmentOwner, FeedKind, Flag, Manifest, Permission};
use crate::kernel::roles::{charter, fbo, school};

/// The OpenAPI tags of this domain.
#[derive(Tags)]
pub enum Tag {
    /// Notes, tasks, call logs, attachments, events and their calendar feeds, reviews.
    Tools,
}

/// The APIs of this domain, in the order the OpenAPI document lists them.
pub type Apis = (
    api::NotesApi,
    tasks::TasksApi,
    calls::CallsApi,
    attachments::AttachmentsApi,
    events::EventsApi,
    reviews::ReviewsApi,
);

pub fn apis() -> Apis {
    (
        api::NotesApi,
        tasks::TasksApi,
        calls::CallsApi,
        attachments::AttachmentsApi,
        events::EventsApi,
        reviews::ReviewsApi,
    )
}

pub const MANIFEST: Manifest = Manifest {
    name: "tools",
    prefixes: &["/api/v1/tools"],
    flags: &[
        Flag {
            key: "tools.notes",
            description: "Notes",
            prefix: "/api/v1/tools/notes",
            on_for: ALL_KINDS,
        },
        Flag {
            key: "tools.tasks",
            description: "Tasks",
            prefix: "/api/v1/tools/tasks",
            on_for: ALL_KINDS,
        },
        Flag {
            key: "tools.calls",
            description: "Call logs",
            prefix: "/api/v1/tools/calls",
            on_for: ALL_KINDS,
        },
        Flag {
            key: "tools.attachments",
            description: "Attachments",
            prefix: "/api/v1/tools/attachments",
            on_for: ALL_KINDS,
        },
        Flag {
            key: "tools.events",
            description: "Calendar events",
            prefix: "/api/v1/tools/events",
            on_for: ALL_KINDS,
        },
        Flag {
            key: "tools.reviews",
            description: "Customer reviews",
            prefix: "/api/v1/tools/reviews",
            on_for: ALL_KINDS,
        },
    ],
    permissions: &[
        TOOLS_NOTES_READ,
        TOOLS_NOTES_WRITE,
        TOOLS_TASKS_READ,
        TOOLS_TASKS_WRITE,
        TOOLS_CALLS_READ,
        TOOLS_CALLS_WRITE,
        TOOLS_ATTACHMENTS_READ,
        TOOLS_ATTACHMENTS_WRITE,
        TOOLS_EVENTS_READ,
        TOOLS_EVENTS_WRITE,
        TOOLS_REVIEWS_READ,
        TOOLS_REVIEWS_WRITE,
    ],
    attachments: &[
        AttachmentOwner {
            resource_type: "note",
            table: "notes",
        },
        AttachmentOwner {
            resource_type: "task",
            table: "tasks",
        },
        AttachmentOwner {
            resource_type: "call",
            table: "call_logs",
        },
        AttachmentOwner {
            resource_type: "event",
            table: "events",
        },
        AttachmentOwner {
            resource_type: "review",
            table: "reviews",
        },
    ],
    feeds: &[EVENTS_FEED],
    links: &[],
    jobs: &[],
    limits: &[],
    payment_events: &[],
    reference: &[],
    shared_jobs: &[],
};

/// The calendar feed of the events a user organises or attends.
pub const EVENTS_FEED: FeedKind = FeedKind {
    key: "events",
    flag: "tools.events",
    permission: "tools.events.read",
    render: events::render_feed,
};

/// Read notes.
pub const TOOLS_NOTES_READ: Permission = Permission::new(
    "tools.notes.read",
    "Read notes",
    &[
        school::ORGANIZATION_ADMIN,
        school::INSTRUCTOR,
        school::STUDENT,
        school::STAFF,
        school::MECHANIC,
        school::TRAINER,
        charter::DISPATCHER,
        charter::PILOT,
        charter::MEDICAL_CREW,
        charter::SALES,
        charter::FINANCE,
        fbo::LINE_MANAGER,
        fbo::FUELER,
        fbo::FRONT_DESK,
    ],
);
/// Create, edit and delete notes.
pub const TOOLS_NOTES_WRITE: Permission = Permission::new(
    "tools.notes.write",
    "Create, edit and delete notes",
    &[
        school::ORGANIZATION_ADMIN,
        school::INSTRUCTOR,
        school::STUDENT,
        school::STAFF,
        school::MECHANIC,
        school::TRAINER,
        charter::DISPATCHER,
        charter::PILOT,
        charter::MEDICAL_CREW,
        charter::SALES,
        charter::FINANCE,
        fbo::LINE_MANAGER,
        fbo::FUELER,
        fbo::FRONT_DESK,
    ],
);
/// Read tasks.
pub const TOOLS_TASKS_READ: Permission = Permission::new(
    "tools.tasks.read",
    "Read tasks",
    &[
        school::ORGANIZATION_ADMIN,
        school::INSTRUCTOR,
        school::STAFF,
        school::MECHANIC,
        school::TRAINER,
        charter::DISPATCHER,
        charter::SALES,
        fbo::LINE_MANAGER,
    ],
);
/// Create, edit and delete tasks.
pub const TOOLS_TASKS_WRITE: Permission = Permission::new(
    "tools.tasks.write",
    "Create, edit and delete tasks",
    &[
        school::ORGANIZATION_ADMIN,
        school::INSTRUCTOR,
        school::STAFF,
        school::MECHANIC,
        school::TRAINER,
        charter::DISPATCHER,
        charter::SALES,
        fbo::LINE_MANAGER,
    ],
);
/// Read call logs.
pub const TOOLS_CALLS_READ: Permission = Permission::new(
    "tools.calls.read",
    "Read call logs",
    &[
        school::ORGANIZATION_ADMIN,
        school::STAFF,
        charter::DISPATCHER,
        charter::SALES,
        fbo::FRONT_DESK,
    ],
);
/// Create, edit and delete call logs.
pub const TOOLS_CALLS_WRITE: Permission = Permission::new(
    "tools.calls.write",
    "Create, edit and delete call logs",
    &[
        school::ORGANIZATION_ADMIN,
        school::STAFF,
        charter::DISPATCHER,
        charter::SALES,
        fbo::FRONT_DESK,
    ],
);
/// Download attachments.
pub const TOOLS_ATTACHMENTS_READ: Permission = Permission::new(
    "tools.attachments.read",
    "Download attachments",
    &[
        school::ORGANIZATION_ADMIN,
        school::INSTRUCTOR,
        school::STAFF,
        school::MECHANIC,
        school::TRAINER,
        charter::DISPATCHER,
        charter::SALES,
        charter::FINANCE,
        fbo::LINE_MANAGER,
        fbo::FRONT_DESK,
    ],
);
/// Upload and delete attachments.
pub const TOOLS_ATTACHMENTS_WRITE: Permission = Permission::new(
    "tools.attachments.write",
    "Upload and delete attachments",
    &[
        school::ORGANIZATION_ADMIN,
        school::INSTRUCTOR,
        school::STAFF,
        school::MECHANIC,
        school::TRAINER,
        charter::DISPATCHER,
        charter::SALES,
        fbo::LINE_MANAGER,
        fbo::FRONT_DESK,
    ],
);
/// Read calendar events.
pub const TOOLS_EVENTS_READ: Permission = Permission::new(
    "tools.events.read",
    "Read calendar events",
    &[
        school::ORGANIZATION_ADMIN,
        school::INSTRUCTOR,
        school::STUDENT,
        school::STAFF,
        school::TRAINER,
        charter::DISPATCHER,
        charter::PILOT,
        charter::MEDICAL_CREW,
        charter::SALES,
        charter::FINANCE,
        fbo::LINE_MANAGER,
        fbo::FUELER,
        fbo::FRONT_DESK,
    ],
);
/// Create, edit and delete calendar events.
pub const TOOLS_EVENTS_WRITE: Permission = Permission::new(
    "tools.events.write",
    "Create, edit and delete calendar events",
    &[
        school::ORGANIZATION_ADMIN,
        school::STAFF,
        charter::DISPATCHER,
        charter::SALES,
        fbo::LINE_MANAGER,
        fbo::FRONT_DESK,
    ],
);
/// Read customer reviews.
pub const TOOLS_REVIEWS_READ: Permission = Permission::new(
    "tools.reviews.read",
    "Read customer reviews",
    &[
        school::ORGANIZATION_ADMIN,
        school::STAFF,
        charter::SALES,
        fbo::FRONT_DESK,
    ],
);
/// Record and moderate customer reviews.
pub const TOOLS_REVIEWS_WRITE: Permission = Permission::new(
    "tools.reviews.write",
    "Record and moderate customer reviews",
    &[
        school::ORGANIZATION_ADMIN,
        school::STAFF,
        charter::SALES,
        fbo::FRONT_DESK,
    ],
);
