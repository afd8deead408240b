//! The permission catalogue (static, in code) and the system roles seeded per tenant kind.
//! Roles are rows that map to these names; `GET /api/v1/users/permissions` lists them.

use crate::tenancy::TenantKind;

/// Every permission, with what it grants.
pub const CATALOGUE: &[(&str, &str)] = &[
    ("users.read", "List and view users, roles and teams"),
    (
        "users.manage",
        "Create, update, deactivate users; assign roles; unlock accounts",
    ),
    ("roles.manage", "Create, update and delete custom roles"),
    (
        "teams.manage",
        "Create, update and delete teams and their members",
    ),
    ("settings.read", "Read tenant settings and feature flags"),
    (
        "settings.manage",
        "Change tenant settings and feature flags",
    ),
    ("audit.read", "Read and export the audit log"),
    ("tools.notes.read", "Read notes"),
    ("tools.notes.write", "Create, edit and delete notes"),
    ("tools.tasks.read", "Read tasks"),
    ("tools.tasks.write", "Create, edit and delete tasks"),
    ("tools.calls.read", "Read call logs"),
    ("tools.calls.write", "Create, edit and delete call logs"),
    ("tools.attachments.read", "Download attachments"),
    ("tools.attachments.write", "Upload and delete attachments"),
    ("tools.events.read", "Read calendar events"),
    (
        "tools.events.write",
        "Create, edit and delete calendar events",
    ),
    ("tools.reviews.read", "Read customer reviews"),
    (
        "tools.reviews.write",
        "Record and moderate customer reviews",
    ),
    ("fleet.read", "View aircraft, simulators and meters"),
    (
        "fleet.manage",
        "Add and edit aircraft, simulators and meter corrections",
    ),
    (
        "maintenance.read",
        "View inspections, squawks, MEL deferrals and logs",
    ),
    (
        "maintenance.manage",
        "Record inspections, squawks and MEL deferrals",
    ),
    (
        "maintenance.sign_off",
        "Sign off maintenance work as a mechanic",
    ),
    ("scheduling.read", "View the schedule"),
    ("scheduling.book", "Book resources for oneself"),
    (
        "scheduling.manage",
        "Book for others, move and cancel any booking, dispatch",
    ),
    (
        "scheduling.override",
        "Override dispatch rules that block a booking",
    ),
    ("flights.read", "View flights and logbooks"),
    ("flights.manage", "Record and edit flights"),
    ("training.read", "View courses, enrolments and progress"),
    (
        "training.manage",
        "Manage courses, lessons, enrolments and grading",
    ),
    ("theory.read", "View theory courses and exams"),
    ("theory.manage", "Manage question banks and exams"),
    ("certificates.read", "View licences, ratings and medicals"),
    (
        "certificates.manage",
        "Record licences, ratings and medicals",
    ),
    ("finance.read", "View accounts, invoices and payments"),
    (
        "finance.manage",
        "Issue invoices, record payments and prices",
    ),
    ("documents.read", "View documents"),
    ("documents.manage", "Upload and manage documents"),
    ("reports.read", "Run reports"),
    (
        "notifications.manage",
        "Manage notification templates and rules",
    ),
    (
        "charter.read",
        "View charter trips, quotes, crew and passengers",
    ),
    (
        "charter.manage",
        "Manage charter trips, crew and passengers",
    ),
    ("charter.quote", "Prepare and send charter quotes"),
    (
        "medical.read",
        "View patient records of air-ambulance trips",
    ),
    (
        "medical.manage",
        "Record patient data of air-ambulance trips",
    ),
    (
        "fbo.read",
        "View FBO operations: fuel, parking, line service",
    ),
    ("fbo.fuel", "Dispatch fuel and record tank readings"),
    (
        "fbo.manage",
        "Manage FBO equipment, prices and line service",
    ),
    ("billing.manage", "Manage the tenant's subscription"),
];

pub fn is_known(permission: &str) -> bool {
    CATALOGUE.iter().any(|(p, _)| *p == permission)
}

/// A system role seeded for a tenant kind.
pub struct SeedRole {
    pub name: &'static str,
    pub description: &'static str,
    /// Permission names; `*` stands for the whole catalogue.
    grants: &'static [&'static str],
}

impl SeedRole {
    pub fn permissions(&self) -> Vec<String> {
        if self.grants == ["*"] {
            return CATALOGUE.iter().map(|(p, _)| (*p).to_owned()).collect();
        }
        self.grants.iter().map(|p| (*p).to_owned()).collect()
    }
}

const ADMIN: SeedRole = SeedRole {
    name: "admin",
    description: "Everything in this organisation",
    grants: &["*"],
};

const FLIGHT_SCHOOL: &[SeedRole] = &[
    ADMIN,
    SeedRole {
        name: "organization_admin",
        description: "Runs the school day to day: people, fleet, schedule, training, finance",
        grants: &[
            "users.read",
            "users.manage",
            "teams.manage",
            "settings.read",
            "audit.read",
            "tools.notes.read",
            "tools.notes.write",
            "tools.tasks.read",
            "tools.tasks.write",
            "tools.calls.read",
            "tools.calls.write",
            "tools.attachments.read",
            "tools.attachments.write",
            "tools.events.read",
            "tools.events.write",
            "tools.reviews.read",
            "tools.reviews.write",
            "fleet.read",
            "fleet.manage",
            "maintenance.read",
            "scheduling.read",
            "scheduling.book",
            "scheduling.manage",
            "scheduling.override",
            "flights.read",
            "flights.manage",
            "training.read",
            "training.manage",
            "theory.read",
            "theory.manage",
            "certificates.read",
            "certificates.manage",
            "finance.read",
            "finance.manage",
            "documents.read",
            "documents.manage",
            "reports.read",
        ],
    },
    SeedRole {
        name: "instructor",
        description: "Teaches, books and signs off students' training",
        grants: &[
            "users.read",
            "tools.notes.read",
            "tools.notes.write",
            "tools.tasks.read",
            "tools.tasks.write",
            "tools.attachments.read",
            "tools.attachments.write",
            "tools.events.read",
            "fleet.read",
            "maintenance.read",
            "scheduling.read",
            "scheduling.book",
            "scheduling.manage",
            "flights.read",
            "flights.manage",
            "training.read",
            "training.manage",
            "theory.read",
            "certificates.read",
            "documents.read",
        ],
    },
    SeedRole {
        name: "student",
        description: "Books lessons and sees their own records",
        grants: &[
            "tools.notes.read",
            "tools.notes.write",
            "tools.events.read",
            "fleet.read",
            "scheduling.read",
            "scheduling.book",
            "flights.read",
            "training.read",
            "theory.read",
            "certificates.read",
            "documents.read",
        ],
    },
    SeedRole {
        name: "staff",
        description: "Front office: schedule, customers, invoices",
        grants: &[
            "users.read",
            "tools.notes.read",
            "tools.notes.write",
            "tools.tasks.read",
            "tools.tasks.write",
            "tools.calls.read",
            "tools.calls.write",
            "tools.attachments.read",
            "tools.attachments.write",
            "tools.events.read",
            "tools.events.write",
            "tools.reviews.read",
            "tools.reviews.write",
            "fleet.read",
            "scheduling.read",
            "scheduling.book",
            "scheduling.manage",
            "finance.read",
            "finance.manage",
            "documents.read",
        ],
    },
    SeedRole {
        name: "mechanic",
        description: "Maintains the fleet and signs off work",
        grants: &[
            "tools.notes.read",
            "tools.notes.write",
            "tools.tasks.read",
            "tools.tasks.write",
            "tools.attachments.read",
            "tools.attachments.write",
            "fleet.read",
            "fleet.manage",
            "maintenance.read",
            "maintenance.manage",
            "maintenance.sign_off",
            "scheduling.read",
            "documents.read",
        ],
    },
];

const CHARTER: &[SeedRole] = &[
    ADMIN,
    SeedRole {
        name: "dispatcher",
        description: "Plans trips, crews and aircraft",
        grants: &[
            "users.read",
            "tools.notes.read",
            "tools.notes.write",
            "tools.tasks.read",
            "tools.tasks.write",
            "tools.calls.read",
            "tools.calls.write",
            "tools.attachments.read",
            "tools.attachments.write",
            "tools.events.read",
            "tools.events.write",
            "fleet.read",
            "maintenance.read",
            "scheduling.read",
            "scheduling.manage",
            "flights.read",
            "flights.manage",
            "charter.read",
            "charter.manage",
            "certificates.read",
            "documents.read",
        ],
    },
    SeedRole {
        name: "pilot",
        description: "Flies trips and logs flights",
        grants: &[
            "tools.notes.read",
            "tools.notes.write",
            "tools.events.read",
            "fleet.read",
            "maintenance.read",
            "scheduling.read",
            "flights.read",
            "flights.manage",
            "charter.read",
            "certificates.read",
            "documents.read",
        ],
    },
    SeedRole {
        name: "medical_crew",
        description: "Air-ambulance medical crew: patient records of their trips",
        grants: &[
            "tools.notes.read",
            "tools.notes.write",
            "tools.events.read",
            "charter.read",
            "medical.read",
            "medical.manage",
            "documents.read",
        ],
    },
    SeedRole {
        name: "sales",
        description: "Quotes trips and keeps contacts",
        grants: &[
            "tools.notes.read",
            "tools.notes.write",
            "tools.tasks.read",
            "tools.tasks.write",
            "tools.calls.read",
            "tools.calls.write",
            "tools.attachments.read",
            "tools.attachments.write",
            "tools.events.read",
            "tools.events.write",
            "tools.reviews.read",
            "tools.reviews.write",
            "fleet.read",
            "charter.read",
            "charter.quote",
            "documents.read",
        ],
    },
    SeedRole {
        name: "finance",
        description: "Invoices and payments",
        grants: &[
            "tools.notes.read",
            "tools.notes.write",
            "tools.attachments.read",
            "tools.events.read",
            "charter.read",
            "finance.read",
            "finance.manage",
            "reports.read",
            "documents.read",
        ],
    },
];

const FBO: &[SeedRole] = &[
    ADMIN,
    SeedRole {
        name: "line_manager",
        description: "Runs the ramp: fuel, equipment, line service, staff training",
        grants: &[
            "users.read",
            "tools.notes.read",
            "tools.notes.write",
            "tools.tasks.read",
            "tools.tasks.write",
            "tools.attachments.read",
            "tools.attachments.write",
            "tools.events.read",
            "tools.events.write",
            "fbo.read",
            "fbo.fuel",
            "fbo.manage",
            "training.read",
            "training.manage",
            "certificates.read",
            "certificates.manage",
            "reports.read",
            "documents.read",
        ],
    },
    SeedRole {
        name: "fueler",
        description: "Fuels aircraft and records tank readings",
        grants: &[
            "tools.notes.read",
            "tools.notes.write",
            "tools.events.read",
            "fbo.read",
            "fbo.fuel",
            "training.read",
        ],
    },
    SeedRole {
        name: "front_desk",
        description: "Arrivals, parking, customers and invoices",
        grants: &[
            "tools.notes.read",
            "tools.notes.write",
            "tools.calls.read",
            "tools.calls.write",
            "tools.attachments.read",
            "tools.attachments.write",
            "tools.events.read",
            "tools.events.write",
            "tools.reviews.read",
            "tools.reviews.write",
            "fbo.read",
            "finance.read",
            "finance.manage",
        ],
    },
];

/// The system roles a new tenant of `kind` starts with.
pub fn seeded_roles(kind: TenantKind) -> &'static [SeedRole] {
    match kind {
        TenantKind::FlightSchool => FLIGHT_SCHOOL,
        TenantKind::CharterOperator => CHARTER,
        TenantKind::Fbo => FBO,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_roles_name_only_known_permissions() {
        for kind in [
            TenantKind::FlightSchool,
            TenantKind::CharterOperator,
            TenantKind::Fbo,
        ] {
            for role in seeded_roles(kind) {
                for p in role.permissions() {
                    assert!(is_known(&p), "{} grants unknown {p}", role.name);
                }
            }
        }
    }
}
