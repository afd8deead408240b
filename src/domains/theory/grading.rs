//! The pure rules of an exam: the seeded draw of an attempt's questions, whether an answer is
//! right, the pass mark, the deadline with its grace. No I/O; tested at their boundaries below.

use chrono::{DateTime, Duration, Utc};
use poem_openapi::Enum;
use uuid::Uuid;

/// Seconds after the deadline in which a submission is still accepted: the time a request
/// takes to travel, not extra time to answer (the client shows the deadline itself).
pub const GRACE_SECONDS: i64 = 30;

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    /// Options, exactly one of them right.
    SingleChoice,
    /// Options, one or more right; the answer must select exactly the right ones.
    MultipleChoice,
    TrueFalse,
    /// A number, right within the inclusive tolerance.
    Numeric,
}

text_enum!(QuestionKind);

/// The key of one question.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub kind: QuestionKind,
    pub correct_options: Vec<i32>,
    pub correct_bool: Option<bool>,
    pub correct_number: Option<f64>,
    pub tolerance: Option<f64>,
}

/// One answer as given (already checked to be of the question's kind).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Given {
    Selected(Vec<i32>),
    TrueFalse(bool),
    Number(f64),
}

/// Whether `given` answers the question of `key` right. Choices compare as sets (all or
/// nothing for multiple choice); a number is right when `|given - correct| <= tolerance`, the
/// bound included (with a margin of 1e-9 relative, so that 2.3 - 0.1 is within 0.1 of 2.2).
pub fn is_right(key: &Key, given: Option<&Given>) -> bool {
    match (key.kind, given) {
        (QuestionKind::SingleChoice | QuestionKind::MultipleChoice, Some(Given::Selected(s))) => {
            let mut s = s.clone();
            s.sort_unstable();
            s.dedup();
            let mut want = key.correct_options.clone();
            want.sort_unstable();
            s == want
        }
        (QuestionKind::TrueFalse, Some(Given::TrueFalse(b))) => key.correct_bool == Some(*b),
        (QuestionKind::Numeric, Some(Given::Number(x))) => {
            let (Some(c), Some(t)) = (key.correct_number, key.tolerance) else {
                return false;
            };
            let margin = 1e-9 * c.abs().max(t).max(1.0);
            x.is_finite() && (x - c).abs() <= t + margin
        }
        _ => false,
    }
}

/// Whether `awarded` of `max` points reaches `pass_mark_percent` (integer arithmetic: 7 of 10
/// passes a 70 % mark).
pub fn passed(awarded: i64, max: i64, pass_mark_percent: i32) -> bool {
    max > 0 && awarded * 100 >= i64::from(pass_mark_percent) * max
}

/// The percentage shown, two decimals.
pub fn percent(awarded: i64, max: i64) -> f64 {
    if max <= 0 {
        return 0.0;
    }
    (awarded as f64 * 10000.0 / max as f64).round() / 100.0
}

/// The last instant a submission is accepted.
pub fn submit_by(deadline: DateTime<Utc>) -> DateTime<Utc> {
    deadline + Duration::seconds(GRACE_SECONDS)
}

/// SplitMix64: small, fast, and the same on every platform and release, which is all a
/// reproducible draw needs (this is not a secret: the seed is stored with the attempt).
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (Lemire's multiply-shift; the bias for n ≤ 2^32 is negligible here).
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next()) * n as u128) >> 64) as usize
    }
}

/// Draws `n` of `pool` in order with `seed`: a partial Fisher-Yates shuffle of the pool sorted
/// by id. The same pool and seed always give the same questions in the same order; `None` when
/// the pool has fewer than `n`.
pub fn draw(pool: &[Uuid], seed: i64, n: usize) -> Option<Vec<Uuid>> {
    if pool.len() < n {
        return None;
    }
    let mut ids = pool.to_vec();
    ids.sort_unstable();
    let mut rng = SplitMix64(u64::from_ne_bytes(seed.to_ne_bytes()));
    for i in 0..n {
        let j = i + rng.below(ids.len() - i);
        ids.swap(i, j);
    }
    ids.truncate(n);
    Some(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numeric(c: f64, t: f64) -> Key {
        Key {
            kind: QuestionKind::Numeric,
            correct_options: vec![],
            correct_bool: None,
            correct_number: Some(c),
            tolerance: Some(t),
        }
    }

    #[test]
    fn numeric_tolerance_is_inclusive() {
        let k = numeric(100.0, 0.5);
        for (x, right) in [
            (100.0, true),
            (100.5, true),
            (99.5, true),
            (100.500001, false),
            (99.49, false),
            (f64::NAN, false),
        ] {
            assert_eq!(is_right(&k, Some(&Given::Number(x))), right, "{x}");
        }
        assert!(is_right(&numeric(2.2, 0.1), Some(&Given::Number(2.3))));
        assert!(is_right(&numeric(3.0, 0.0), Some(&Given::Number(3.0))));
        assert!(!is_right(&numeric(3.0, 0.0), Some(&Given::Number(3.0001))));
        assert!(!is_right(&numeric(3.0, 0.0), None));
        assert!(!is_right(&numeric(3.0, 0.0), Some(&Given::TrueFalse(true))));
    }

    #[test]
    fn choices_compare_as_sets() {
        let k = Key {
            kind: QuestionKind::MultipleChoice,
            correct_options: vec![2, 0],
            correct_bool: None,
            correct_number: None,
            tolerance: None,
        };
        assert!(is_right(&k, Some(&Given::Selected(vec![0, 2]))));
        assert!(!is_right(&k, Some(&Given::Selected(vec![0]))));
        assert!(!is_right(&k, Some(&Given::Selected(vec![0, 1, 2]))));
    }

    #[test]
    fn the_pass_mark_is_reached_exactly() {
        assert!(passed(7, 10, 70));
        assert!(!passed(69, 100, 70));
        assert!(passed(75, 100, 75));
        assert!(!passed(0, 0, 1));
        assert_eq!(percent(2, 3), 66.67);
    }

    #[test]
    fn the_draw_is_reproducible_and_a_permutation() {
        let pool: Vec<Uuid> = (0..50).map(|_| Uuid::new_v4()).collect();
        let a = draw(&pool, 42, 20).expect("enough");
        let mut shuffled = pool.clone();
        shuffled.reverse();
        assert_eq!(draw(&shuffled, 42, 20), Some(a.clone()));
        assert_ne!(draw(&pool, 43, 20), Some(a.clone()));
        let mut unique = a.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), 20);
        assert_eq!(draw(&pool, -7, 50).map(|v| v.len()), Some(50));
        assert_eq!(draw(&pool, 1, 51), None);
    }
}
