//! The dispatch rules that ask the finance domain about the pilot's account
//! (`finance::service::standing`): a balance below the account's credit limit, and an invoice
//! overdue by more than the `finance.overdue_grace_days` setting. Both are `off` until a tenant
//! switches them to `warn` or `block`; without the finance module or an account they never fire.

use super::types::{Candidate, Facts, Mode, Rule, Stage};

fn account_balance(_: &Candidate, f: &Facts) -> Option<String> {
    let s = f.account.as_ref()?;
    (s.balance_minor < -s.credit_limit_minor).then(|| {
        format!(
            "the pilot's account balance ({} minor units) is below its credit limit ({})",
            s.balance_minor, -s.credit_limit_minor
        )
    })
}

fn invoice_overdue(_: &Candidate, f: &Facts) -> Option<String> {
    let s = f.account.as_ref()?;
    let days = s.overdue_days?;
    (i64::from(days) > s.grace_days).then(|| {
        format!(
            "the pilot has an invoice {days} days overdue (grace {} days)",
            s.grace_days
        )
    })
}

/// The account rules.
pub const RULES: &[Rule] = &[
    Rule {
        key: "account_balance",
        description: "The pilot's prepaid balance is below their account's credit limit (finance)",
        default: Mode::Off,
        stages: &[Stage::Booking, Stage::CheckOut],
        check: account_balance,
    },
    Rule {
        key: "invoice_overdue",
        description: "The pilot has an invoice overdue by more than the finance.overdue_grace_days setting (finance)",
        default: Mode::Off,
        stages: &[Stage::Booking, Stage::CheckOut],
        check: invoice_overdue,
    },
];

/// Whether any account rule is on (the facts loader reads the account only then).
pub fn any_on(modes: &std::collections::HashMap<String, Mode>) -> bool {
    RULES
        .iter()
        .any(|r| modes.get(r.key).copied().unwrap_or(r.default) != Mode::Off)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domains::finance::service::Standing;
    use crate::kernel::UserId;

    fn candidate() -> Candidate {
        Candidate {
            kind: "rental".into(),
            starts_at: chrono::DateTime::UNIX_EPOCH,
            ends_at: chrono::DateTime::UNIX_EPOCH,
            aircraft_id: None,
            instructor_id: None,
            simulator_id: None,
            pilot_id: None,
            ifr: false,
            night: false,
            actor: UserId(uuid::Uuid::nil()),
            actor_manages: true,
        }
    }

    fn facts(balance: i64, limit: i64, overdue: Option<i32>, grace: i64) -> Facts {
        Facts {
            account: Some(Standing {
                balance_minor: balance,
                credit_limit_minor: limit,
                overdue_days: overdue,
                grace_days: grace,
            }),
            ..Facts::default()
        }
    }

    #[test]
    fn the_balance_rule_speaks_only_below_the_credit_limit() {
        let c = candidate();
        assert_eq!(account_balance(&c, &facts(0, 0, None, 0)), None);
        assert!(account_balance(&c, &facts(-1, 0, None, 0)).is_some());
        assert_eq!(account_balance(&c, &facts(-10_000, 10_000, None, 0)), None);
        assert!(account_balance(&c, &facts(-10_001, 10_000, None, 0)).is_some());
        assert_eq!(account_balance(&c, &Facts::default()), None, "no account");
    }

    #[test]
    fn the_overdue_rule_counts_days_past_the_grace() {
        let c = candidate();
        assert_eq!(invoice_overdue(&c, &facts(0, 0, None, 0)), None);
        assert!(invoice_overdue(&c, &facts(0, 0, Some(1), 0)).is_some());
        assert_eq!(invoice_overdue(&c, &facts(0, 0, Some(7), 7)), None);
        assert!(invoice_overdue(&c, &facts(0, 0, Some(8), 7)).is_some());
    }
}
