//! The platform side: online signup, public endpoints (plans, slug availability).

pub mod plans;
pub mod signup;
