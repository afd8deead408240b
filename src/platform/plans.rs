//! The plan catalogue. Limits and prices arrive with billing; the names are fixed here.

/// Known plan names, cheapest first.
pub const PLANS: &[&str] = &["trial", "starter", "professional", "enterprise"];

pub fn is_known(plan: &str) -> bool {
    PLANS.contains(&plan)
}
