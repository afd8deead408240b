//! The kinds of organisation Flightline is sold to.

use poem_openapi::Enum;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Enum)]
#[serde(rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
pub enum TenantKind {
    FlightSchool,
    CharterOperator,
    Fbo,
}

impl TenantKind {
    /// Every kind, in the order the product lists them.
    pub const ALL: [TenantKind; 3] = [Self::FlightSchool, Self::CharterOperator, Self::Fbo];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::FlightSchool => "flight_school",
            Self::CharterOperator => "charter_operator",
            Self::Fbo => "fbo",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "flight_school" => Some(Self::FlightSchool),
            "charter_operator" => Some(Self::CharterOperator),
            "fbo" => Some(Self::Fbo),
            _ => None,
        }
    }
}
