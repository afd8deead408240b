//! The system roles every new tenant starts with, per tenant kind. A role here is a name and a
//! description; what it may do is declared the other way round, by each permission in a domain's
//! manifest naming the roles that get it (`Permission::roles`). `admin` gets every permission.

use super::TenantKind;

/// A seeded (system) role of one tenant kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Role {
    pub kind: TenantKind,
    pub name: &'static str,
    pub description: &'static str,
}

/// The role every tenant kind has, holding the whole catalogue.
pub const ADMIN: &str = "admin";
pub const ADMIN_DESCRIPTION: &str = "Everything in this organisation";

/// Flight school roles.
pub mod school {
    use super::{Role, TenantKind::FlightSchool};

    pub const ORGANIZATION_ADMIN: Role = Role {
        kind: FlightSchool,
        name: "organization_admin",
        description: "Runs the school day to day: people, fleet, schedule, training, finance",
    };
    pub const INSTRUCTOR: Role = Role {
        kind: FlightSchool,
        name: "instructor",
        description: "Teaches, books and signs off students' training",
    };
    pub const STUDENT: Role = Role {
        kind: FlightSchool,
        name: "student",
        description: "Books lessons and sees their own records",
    };
    pub const STAFF: Role = Role {
        kind: FlightSchool,
        name: "staff",
        description: "Front office: schedule, customers, invoices",
    };
    pub const MECHANIC: Role = Role {
        kind: FlightSchool,
        name: "mechanic",
        description: "Maintains the fleet and signs off work",
    };
    /// Ground-school and syllabus author (the training seed's `IsTrainerOrAdmin`): not a flight
    /// instructor, so no fleet or booking writes.
    pub const TRAINER: Role = Role {
        kind: FlightSchool,
        name: "trainer",
        description: "Authors syllabi and courses, grades lessons and exams",
    };
    pub const ALL: &[Role] = &[
        ORGANIZATION_ADMIN,
        INSTRUCTOR,
        STUDENT,
        STAFF,
        MECHANIC,
        TRAINER,
    ];
}

/// Charter and air-ambulance operator roles.
pub mod charter {
    use super::{Role, TenantKind::CharterOperator};

    pub const DISPATCHER: Role = Role {
        kind: CharterOperator,
        name: "dispatcher",
        description: "Plans trips, crews and aircraft",
    };
    pub const PILOT: Role = Role {
        kind: CharterOperator,
        name: "pilot",
        description: "Flies trips and logs flights",
    };
    pub const MEDICAL_CREW: Role = Role {
        kind: CharterOperator,
        name: "medical_crew",
        description: "Air-ambulance medical crew: patient records of their trips",
    };
    pub const SALES: Role = Role {
        kind: CharterOperator,
        name: "sales",
        description: "Quotes trips and keeps contacts",
    };
    pub const FINANCE: Role = Role {
        kind: CharterOperator,
        name: "finance",
        description: "Invoices and payments",
    };
    pub const ALL: &[Role] = &[DISPATCHER, PILOT, MEDICAL_CREW, SALES, FINANCE];
}

/// FBO roles.
pub mod fbo {
    use super::{Role, TenantKind::Fbo};

    pub const LINE_MANAGER: Role = Role {
        kind: Fbo,
        name: "line_manager",
        description: "Runs the ramp: fuel, equipment, line service, staff training",
    };
    pub const FUELER: Role = Role {
        kind: Fbo,
        name: "fueler",
        description: "Fuels aircraft and records tank readings",
    };
    pub const FRONT_DESK: Role = Role {
        kind: Fbo,
        name: "front_desk",
        description: "Arrivals, parking, customers and invoices",
    };
    pub const ALL: &[Role] = &[LINE_MANAGER, FUELER, FRONT_DESK];
}

/// The seeded roles of `kind` other than `admin`, in the order they are created.
pub fn of_kind(kind: TenantKind) -> &'static [Role] {
    match kind {
        TenantKind::FlightSchool => school::ALL,
        TenantKind::CharterOperator => charter::ALL,
        TenantKind::Fbo => fbo::ALL,
    }
}
