//! The plan catalogue as data: prices and the modules each plan leaves out (counted limits
//! are declared by the domains that count, `Manifest::limits`). Below
//! every layer that needs it (configuration checks Stripe prices, the flag registry applies
//! exclusions, platform and billing sell plans); `platform::plans` adds enforcement and the
//! public API.

/// One plan.
pub struct Plan {
    pub key: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    /// Monthly price in minor units of `CURRENCY` (display; Stripe's price is authoritative).
    pub price_minor: i64,
    /// Paid plans go through Stripe Checkout when billing is configured.
    pub paid: bool,
    /// Feature flags this plan leaves out.
    pub excluded_modules: &'static [&'static str],
}

pub const CURRENCY: &str = "USD";
/// Days of trial a paid plan starts with (Stripe Checkout `trial_period_days`) and the length
/// of the free `trial` plan.
pub const TRIAL_DAYS: i64 = 14;

/// Known plans, cheapest first.
pub const CATALOGUE: &[Plan] = &[
    Plan {
        key: "trial",
        name: "Trial",
        description: "Everything, for a small team, for 14 days",
        price_minor: 0,
        paid: false,
        excluded_modules: &[],
    },
    Plan {
        key: "starter",
        name: "Starter",
        description: "A small school or operator: the operational modules without reports",
        price_minor: 4_900,
        paid: true,
        excluded_modules: &["reports"],
    },
    Plan {
        key: "professional",
        name: "Professional",
        description: "Growing organisations: every module, more people and aircraft",
        price_minor: 14_900,
        paid: true,
        excluded_modules: &[],
    },
    Plan {
        key: "enterprise",
        name: "Enterprise",
        description: "Every module without counted limits",
        price_minor: 49_900,
        paid: true,
        excluded_modules: &[],
    },
];

/// Known plan names, cheapest first.
pub const PLANS: &[&str] = &["trial", "starter", "professional", "enterprise"];

/// [`PLANS`] as the `pattern` the request DTOs declare (`#[oai(validator(pattern))]` takes a
/// literal; the test below keeps the literal and the list equal).
pub const PLAN_PATTERN: &str = "^(trial|starter|professional|enterprise)$";

pub fn get(key: &str) -> Option<&'static Plan> {
    CATALOGUE.iter().find(|p| p.key == key)
}

pub fn is_known(plan: &str) -> bool {
    get(plan).is_some()
}

/// Whether `plan` leaves the module of flag `key` out.
pub fn excludes(plan: &str, key: &str) -> bool {
    get(plan).is_some_and(|p| p.excluded_modules.contains(&key))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_plan_pattern_names_every_plan() {
        assert_eq!(
            super::PLAN_PATTERN,
            format!("^({})$", super::PLANS.join("|"))
        );
    }
}
