//! Flight time, duty and rest of a flight crewmember in unscheduled one- and two-pilot
//! operations (charter and air ambulance under Part 135): 14 CFR 135.267, paragraph by
//! paragraph. The question a domain asks is "may this person take this assignment?" ([`check`]
//! with a proposal), or "what on this person's record breaks the rules?" ([`check`] without one).
//!
//! **Who.** 135.267 limits flight crewmembers: the pilots. Medical crew (flight nurses,
//! paramedics, physicians) are not limited by it; an operator may set limits of its own for
//! them, which this module does not model, and a domain must not ask it about them. Flight
//! attendants' duty (135.273) is not modelled either.
//!
//! **Facts.** The crewmember's duty periods (report and release, UTC instants) with the flight
//! segments inside them (block off and block on, a one- or two-pilot crew, and whether it is
//! flight time the certificate holder assigns under this section, other commercial flying, or
//! not commercial flying). Every limit adds other commercial flying to the assigned flight time
//! (135.267(a), (b)); flying that is not commercial is neither counted nor duty. Rest is any
//! time outside every duty period and commercial flight (135.263(b): no duty during a required
//! rest); transportation the operator requires to or from a trip is not rest (135.263(c)), so
//! the domain gives it inside a duty period. The facts must reach back to the start of the
//! calendar year and of the previous calendar quarter ([`facts_from`]); a duty period already
//! on record that an assignment extends is proposed whole (overlapping duty periods are one).
//!
//! **Time.** 24 consecutive hours are 86,400 elapsed seconds, whatever the clocks do across a
//! daylight saving change; only the calendar quarters and years of 135.267(a) and (f) are
//! counted on the operator's local calendar (its time zone). Windows are half-open: flight time
//! ending exactly 24 hours after other flight time began shares a window with all of it, and a
//! flight is counted only for the part of it inside a window.
//!
//! **Cost.** One sort of the segments and one of the duty periods, then linear passes: the
//! sliding 24-hour windows with two pointers and prefix sums, the rest look-back with a
//! monotonic queue; the calendar needs one time zone conversion per quarter.

use std::collections::VecDeque;

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

use super::State;

const MINUTE: i64 = 60;
const HOUR: i64 = 3_600;
const DAY: i64 = 24 * HOUR;
/// The length of a gap that is open at one end (nothing on record before or after it).
const OPEN: i64 = i64::MAX / 4;

/// 135.267(b)(1) and (2).
const FLIGHT_ONE_PILOT: i64 = 8 * HOUR;
const FLIGHT_TWO_PILOTS: i64 = 10 * HOUR;
/// 135.267(c): a regularly assigned duty period of no more than 14 hours; (d): 10 hours of rest
/// in the 24 before completion leave at most 14 on duty.
const DUTY_MAX: i64 = 14 * HOUR;
/// 135.267(c)(1), (d).
const REST_MIN: i64 = 10 * HOUR;
/// 135.267(a)(1)-(3).
const QUARTER_MAX: i64 = 500 * HOUR;
const TWO_QUARTERS_MAX: i64 = 800 * HOUR;
const YEAR_MAX: i64 = 1_400 * HOUR;
/// 135.267(f): rest periods of at least 24 consecutive hours in each calendar quarter.
const LONG_RESTS: i64 = 13;

/// The pilots of the crew a segment is flown with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pilots {
    One,
    Two,
}

impl Pilots {
    /// 135.267(b): the flight time allowed in 24 consecutive hours with this crew.
    fn limit(self) -> i64 {
        match self {
            Pilots::One => FLIGHT_ONE_PILOT,
            Pilots::Two => FLIGHT_TWO_PILOTS,
        }
    }
}

/// What a segment's flight time is, for the limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flying {
    /// Flight time the certificate holder assigns under 135.267: counted, and its crew sets the
    /// limit of every window it is in.
    Assigned,
    /// Other commercial flying (for another operator, instruction for hire, Part 91 flying for
    /// the operator): counted toward every limit, sets none.
    OtherCommercial,
    /// Not commercial flying: not counted, not duty.
    NotCommercial,
}

/// One flight: block off to block on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub off: DateTime<Utc>,
    pub on: DateTime<Utc>,
    pub pilots: Pilots,
    pub flying: Flying,
}

/// A duty period: report to release, with the flights inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DutyPeriod {
    pub report: DateTime<Utc>,
    pub release: DateTime<Utc>,
    /// A regularly assigned duty period (a shift that begins and ends at the same time each day,
    /// as an air ambulance base runs them): only such a period can use 135.267(c).
    pub regular: bool,
    pub segments: Vec<Segment>,
}

/// A stretch of time, UTC instants, end excluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Window {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// What [`DutyFinding::amount`] and [`DutyFinding::limit`] count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Minutes,
    RestPeriods,
}

/// The answer for one rule.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DutyFinding {
    /// Stable key of the rule, e.g. `faa.135.267.b`.
    pub rule: &'static str,
    /// The regulation it applies, e.g. `14 CFR 135.267(b)`.
    pub regulation: &'static str,
    /// `met` or `failed`.
    pub state: State,
    /// Where it is decided: the window that fails, or when met the one closest to the limit;
    /// `None` when nothing was there to check.
    pub window: Option<Window>,
    /// The flight time, duty or rest in `window` (or the rest periods counted). Minutes are
    /// rounded toward failing (up for a maximum, down for a minimum) so that they never
    /// contradict `state`.
    pub amount: i64,
    /// The maximum (flight time, duty) or minimum (rest) the rule sets.
    pub limit: i64,
    pub unit: Unit,
    /// What it means, for a person to read, with times on the operator's clock.
    pub detail: String,
}

/// Every rule's answer, and the worst of their states.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Legality {
    pub state: State,
    pub findings: Vec<DutyFinding>,
}

impl Legality {
    /// The finding of rule `key`.
    pub fn finding(&self, key: &str) -> Option<&DutyFinding> {
        self.findings.iter().find(|f| f.rule == key)
    }
}

/// The earliest instant the facts for an assignment at `at` must reach back to: the start of the
/// previous calendar quarter (two consecutive quarters, 135.267(a)(2)) or of the calendar year
/// (135.267(a)(3)), whichever is earlier, on the operator's calendar.
pub fn facts_from(at: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
    let q = quarter_of(at.timestamp(), tz);
    let year = q.div_euclid(4) * 4;
    instant(quarter_start((q - 1).min(year), tz))
}

/// The rules of 14 CFR 135.267 over `history` (the crewmember's duty periods on record, in any
/// order) and, when asked, a `proposal`: the duty period of an assignment with its flights.
///
/// With a proposal, each rule answers for what the proposal takes part in: the 24-hour windows
/// holding its flight time, its duty period, the rest before every assignment whose look-back
/// it falls in, the rest owed around it after an overrun, and the calendar periods it flies in;
/// an old violation elsewhere on the record does not fail it. Without one, the whole record is
/// audited. `tz` is the operator's time zone.
pub fn check(history: &[DutyPeriod], proposal: Option<&DutyPeriod>, tz: Tz) -> Legality {
    let t = Timeline::new(history, proposal, tz);
    let (flight_time, overruns) = t.flight_time();
    let mut findings = vec![
        flight_time,
        t.duty(),
        t.rest(),
        t.rest_after_overrun(&overruns),
    ];
    findings.extend(t.calendar());
    findings.push(t.long_rests());
    let state = if findings.iter().any(|f| f.state == State::Failed) {
        State::Failed
    } else {
        State::Met
    };
    Legality { state, findings }
}

/// A duty period or a commercial flight, before they are merged into blocks.
struct Interval {
    start: i64,
    end: i64,
    /// `Some(regular)` for a duty period, `None` for a flight.
    regular: Option<bool>,
    mine: bool,
}

/// Time on duty without a break: overlapping or touching duty periods and flights, merged.
struct Block {
    start: i64,
    end: i64,
    /// It holds a duty period (not only flights).
    duty: bool,
    /// Every duty period in it is regularly assigned (whatever order they were merged in).
    regular: bool,
    /// It holds (part of) the proposal.
    mine: bool,
    /// Counted flight time inside it.
    flight: i64,
    /// The lowest crew limit of its assigned flights; `None` when it has none (no assignment for
    /// flight time under this section).
    limit: Option<i64>,
    /// Block on of its last assigned flight: the planned completion of the assignment.
    completion: Option<i64>,
    /// It meets every condition of 135.267(c).
    part_c: bool,
}

/// A counted flight, overlaps with earlier flights cut away.
struct Seg {
    off: i64,
    on: i64,
    /// The crew limit of an assigned flight; `None` for other commercial flying.
    limit: Option<i64>,
    mine: bool,
    block: usize,
}

/// A 24-hour window over the flights `lo..hi` (each inside it for some positive time).
struct Win {
    start: i64,
    end: i64,
    lo: usize,
    hi: usize,
    sum: i64,
}

struct Timeline {
    tz: Tz,
    audit: bool,
    blocks: Vec<Block>,
    segs: Vec<Seg>,
    /// Prefix sums over `segs`: flight time, assigned flights, assigned one-pilot flights,
    /// assigned flights outside a 135.267(c) block, the proposal's flights.
    time: Vec<i64>,
    assigned: Vec<u32>,
    one_pilot: Vec<u32>,
    outside_c: Vec<u32>,
    mine: Vec<u32>,
    /// The proposal's span (first and last of its blocks), when there is one.
    mine_blocks: Option<(usize, usize)>,
}

fn min_limit(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) | (None, x) => x,
    }
}

fn instant(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

impl Timeline {
    fn new(history: &[DutyPeriod], proposal: Option<&DutyPeriod>, tz: Tz) -> Self {
        let all = history
            .iter()
            .map(|d| (d, false))
            .chain(proposal.map(|d| (d, true)));
        let mut intervals = Vec::with_capacity(history.len() * 4 + 4);
        let mut raw = Vec::with_capacity(history.len() * 3 + 3);
        for (d, mine) in all {
            let report = d.report.timestamp();
            intervals.push(Interval {
                start: report,
                end: d.release.timestamp().max(report),
                regular: Some(d.regular),
                mine,
            });
            for s in &d.segments {
                let limit = match s.flying {
                    Flying::Assigned => Some(s.pilots.limit()),
                    Flying::OtherCommercial => None,
                    Flying::NotCommercial => continue,
                };
                let (off, on) = (s.off.timestamp(), s.on.timestamp());
                if on <= off {
                    continue;
                }
                intervals.push(Interval {
                    start: off,
                    end: on,
                    regular: None,
                    mine,
                });
                raw.push(Seg {
                    off,
                    on,
                    limit,
                    mine,
                    block: 0,
                });
            }
        }

        intervals.sort_unstable_by_key(|i| (i.start, i.end));
        let mut blocks: Vec<Block> = Vec::with_capacity(intervals.len());
        for i in intervals {
            match blocks.last_mut() {
                Some(b) if i.start <= b.end => {
                    b.end = b.end.max(i.end);
                    b.duty |= i.regular.is_some();
                    b.regular &= i.regular.unwrap_or(true);
                    b.mine |= i.mine;
                }
                _ => blocks.push(Block {
                    start: i.start,
                    end: i.end,
                    duty: i.regular.is_some(),
                    regular: i.regular.unwrap_or(true),
                    mine: i.mine,
                    flight: 0,
                    limit: None,
                    completion: None,
                    part_c: false,
                }),
            }
        }

        // Flights overlapping one another (a data error) are counted once.
        raw.sort_unstable_by_key(|s| (s.off, s.on));
        let mut segs: Vec<Seg> = Vec::with_capacity(raw.len());
        for mut s in raw {
            if let Some(p) = segs.last_mut()
                && s.off < p.on
            {
                if s.on <= p.on {
                    p.limit = min_limit(p.limit, s.limit);
                    p.mine |= s.mine;
                    continue;
                }
                s.off = p.on;
            }
            segs.push(s);
        }

        let mut b = 0;
        for s in &mut segs {
            while blocks[b].end < s.on {
                b += 1;
            }
            s.block = b;
            let block = &mut blocks[b];
            block.flight += s.on - s.off;
            if s.limit.is_some() {
                block.limit = min_limit(block.limit, s.limit);
                block.completion = Some(block.completion.map_or(s.on, |c| c.max(s.on)));
            }
        }

        // 135.267(c): a regularly assigned duty period of no more than 14 hours, immediately
        // preceded and followed by at least 10 consecutive hours of rest, with no more flight
        // time than (b) allows, whose duty and rest make up 24 hours (read: at least 24, the
        // rest that follows it included).
        for i in 0..blocks.len() {
            let before = if i == 0 {
                OPEN
            } else {
                blocks[i].start - blocks[i - 1].end
            };
            let after = blocks
                .get(i + 1)
                .map_or(OPEN, |next| next.start - blocks[i].end);
            let b = &blocks[i];
            let len = b.end - b.start;
            let part_c = b.duty
                && b.regular
                && b.limit.is_some_and(|limit| b.flight <= limit)
                && len <= DUTY_MAX
                && before >= REST_MIN
                && after >= REST_MIN
                && len.saturating_add(after) >= DAY;
            blocks[i].part_c = part_c;
        }

        let n = segs.len();
        let (mut time, mut assigned, mut one_pilot, mut outside_c, mut mine) = (
            Vec::with_capacity(n + 1),
            Vec::with_capacity(n + 1),
            Vec::with_capacity(n + 1),
            Vec::with_capacity(n + 1),
            Vec::with_capacity(n + 1),
        );
        let (mut t, mut a, mut o, mut x, mut m) = (0, 0, 0, 0, 0);
        for s in std::iter::once(None).chain(segs.iter().map(Some)) {
            if let Some(s) = s {
                t += s.on - s.off;
                if let Some(limit) = s.limit {
                    a += 1;
                    o += u32::from(limit == FLIGHT_ONE_PILOT);
                    x += u32::from(!blocks[s.block].part_c);
                }
                m += u32::from(s.mine);
            }
            time.push(t);
            assigned.push(a);
            one_pilot.push(o);
            outside_c.push(x);
            mine.push(m);
        }

        let mine_blocks = blocks
            .iter()
            .position(|b| b.mine)
            .zip(blocks.iter().rposition(|b| b.mine));
        Timeline {
            tz,
            audit: proposal.is_none(),
            blocks,
            segs,
            time,
            assigned,
            one_pilot,
            outside_c,
            mine,
            mine_blocks,
        }
    }

    /// The operator's clock time of `secs`.
    fn local(&self, secs: i64) -> String {
        instant(secs)
            .with_timezone(&self.tz)
            .format("%Y-%m-%d %H:%M %Z")
            .to_string()
    }

    fn window(start: i64, end: i64) -> Option<Window> {
        Some(Window {
            start: instant(start),
            end: instant(end),
        })
    }

    /// The proposal's span, when there is one.
    fn mine_span(&self) -> Option<(i64, i64)> {
        self.mine_blocks
            .map(|(lo, hi)| (self.blocks[lo].start, self.blocks[hi].end))
    }

    /// Every 24-hour window that can hold the most flight time: those starting at a block off
    /// and those ending at a block on (between those, moving a window gains on one side what
    /// it loses on the other). Two pointers over the sorted flights, prefix sums for the time.
    fn windows(&self, mut f: impl FnMut(&Win)) {
        let (segs, n) = (&self.segs, self.segs.len());
        let mut k = 0;
        for i in 0..n {
            let (start, end) = (segs[i].off, segs[i].off + DAY);
            while k < n && segs[k].off < end {
                k += 1;
            }
            let over = (segs[k - 1].on - end).max(0);
            f(&Win {
                start,
                end,
                lo: i,
                hi: k,
                sum: self.time[k] - self.time[i] - over,
            });
        }
        let mut k = 0;
        for j in 0..n {
            let (start, end) = (segs[j].on - DAY, segs[j].on);
            while segs[k].on <= start {
                k += 1;
            }
            let under = (start - segs[k].off).max(0);
            f(&Win {
                start,
                end,
                lo: k,
                hi: j + 1,
                sum: self.time[j + 1] - self.time[k] - under,
            });
        }
    }

    /// 135.267(b) with (c): flight time in any 24 consecutive hours. A window's limit is 8 hours
    /// when it holds any assigned one-pilot flight (for that assignment every other flight is
    /// "other commercial flying"), 10 when all its assigned flights have two pilots, and it has
    /// none without an assigned flight. A window over the limit is allowed when every assigned
    /// flight in it lies in a duty period meeting 135.267(c).
    ///
    /// Also returns, per block, the largest excess over the limit of a window ending in it (an
    /// overrun, which 135.267(e) answers with a longer rest).
    fn flight_time(&self) -> (DutyFinding, Vec<i64>) {
        let mut overruns = vec![0; self.blocks.len()];
        // (excess, start, end, sum, limit, allowed by (c))
        let mut worst_failed: Option<(i64, i64, i64, i64, i64)> = None;
        let mut worst: Option<(i64, i64, i64, i64, i64, bool)> = None;
        self.windows(|w| {
            let (lo, hi) = (w.lo, w.hi);
            if self.assigned[hi] == self.assigned[lo] {
                return;
            }
            let limit = if self.one_pilot[hi] > self.one_pilot[lo] {
                FLIGHT_ONE_PILOT
            } else {
                FLIGHT_TWO_PILOTS
            };
            let excess = w.sum - limit;
            let allowed = excess > 0 && self.outside_c[hi] == self.outside_c[lo];
            if excess > 0 && !allowed {
                let b = self.segs[hi - 1].block;
                overruns[b] = overruns[b].max(excess);
            }
            if !(self.audit || self.mine[hi] > self.mine[lo]) {
                return;
            }
            if excess > 0 && !allowed && worst_failed.is_none_or(|f| excess > f.0) {
                worst_failed = Some((excess, w.start, w.end, w.sum, limit));
            }
            if worst.is_none_or(|f| excess > f.0) {
                worst = Some((excess, w.start, w.end, w.sum, limit, allowed));
            }
        });
        let crew = |limit| {
            if limit == FLIGHT_ONE_PILOT {
                "a one-pilot crew"
            } else {
                "a two-pilot crew"
            }
        };
        let finding = |state, window, amount, limit, detail| DutyFinding {
            rule: "faa.135.267.b",
            regulation: "14 CFR 135.267(b), (c)",
            state,
            window,
            amount,
            limit,
            unit: Unit::Minutes,
            detail,
        };
        let found = if let Some((_, start, end, sum, limit)) = worst_failed {
            finding(
                State::Failed,
                Self::window(start, end),
                minutes_up(sum),
                limit / MINUTE,
                format!(
                    "{} of flight time in the 24 consecutive hours from {} to {}: over the {} allowed {}",
                    hm(minutes_up(sum)),
                    self.local(start),
                    self.local(end),
                    hm(limit / MINUTE),
                    crew(limit),
                ),
            )
        } else if let Some((_, start, end, sum, limit, allowed)) = worst {
            let detail = if allowed {
                format!(
                    "{} of flight time in the 24 consecutive hours from {} to {}, over the {} allowed {}, \
                     but within regularly assigned duty periods of at most 14 hours between rests of at least 10, \
                     each with at most {} of flight time (135.267(c))",
                    hm(minutes_up(sum)),
                    self.local(start),
                    self.local(end),
                    hm(limit / MINUTE),
                    crew(limit),
                    hm(limit / MINUTE),
                )
            } else {
                format!(
                    "at most {} of flight time in any 24 consecutive hours (the most from {} to {}), within the {} allowed {}",
                    hm(minutes_up(sum)),
                    self.local(start),
                    self.local(end),
                    hm(limit / MINUTE),
                    crew(limit),
                )
            };
            finding(
                State::Met,
                Self::window(start, end),
                minutes_up(sum),
                limit / MINUTE,
                detail,
            )
        } else {
            finding(
                State::Met,
                None,
                0,
                FLIGHT_ONE_PILOT / MINUTE,
                "no flight time assigned under 135.267 to check".to_owned(),
            )
        };
        (found, overruns)
    }

    /// The duty period: at most 14 hours from report to release (135.267(c) for a regularly
    /// assigned one; otherwise what (d)'s 10 hours of rest in the 24 before completion leave).
    fn duty(&self) -> DutyFinding {
        let worst = self
            .blocks
            .iter()
            .filter(|b| self.audit || b.mine)
            .max_by_key(|b| (b.end - b.start, std::cmp::Reverse(b.start)));
        let finding = |state, window, amount, detail| DutyFinding {
            rule: "faa.135.267.duty",
            regulation: "14 CFR 135.267(c), (d)",
            state,
            window,
            amount,
            limit: DUTY_MAX / MINUTE,
            unit: Unit::Minutes,
            detail,
        };
        match worst {
            Some(b) => {
                let len = b.end - b.start;
                let over = len > DUTY_MAX;
                finding(
                    if over { State::Failed } else { State::Met },
                    Self::window(b.start, b.end),
                    minutes_up(len),
                    format!(
                        "a duty period of {} from {} to {}: {} 14 hours",
                        hm(minutes_up(len)),
                        self.local(b.start),
                        self.local(b.end),
                        if over { "over" } else { "within" },
                    ),
                )
            }
            None => finding(State::Met, None, 0, "no duty period to check".to_owned()),
        }
    }

    /// The rest before block `m` (`m == blocks.len()` is the open rest after the last).
    fn gap(&self, m: usize) -> (i64, i64) {
        let start = if m == 0 {
            -OPEN
        } else {
            self.blocks[m - 1].end
        };
        let end = self.blocks.get(m).map_or(OPEN, |b| b.start);
        (start, end)
    }

    /// 135.267(d): each assignment provides at least 10 consecutive hours of rest in the 24 hours
    /// before its planned completion (the block on of its last assigned flight: the assignment
    /// as a whole, not leg by leg). The look-back windows move forward with the assignments, so
    /// the longest whole rest inside each comes from a monotonic queue; only the oldest rest
    /// can be cut by the window's start.
    fn rest(&self) -> DutyFinding {
        let span = self.mine_span();
        let mut queue: VecDeque<(usize, i64)> = VecDeque::new();
        let (mut pushed, mut first) = (0, 0);
        // (rest - 10 h, completion, rest, rest start, rest end)
        let mut worst: Option<(i64, i64, i64, i64, i64)> = None;
        for (b, block) in self.blocks.iter().enumerate() {
            let Some(done) = block.completion else {
                continue;
            };
            let from = done - DAY;
            while pushed <= b {
                let (s, e) = self.gap(pushed);
                let len = e - s;
                while queue.back().is_some_and(|q| q.1 <= len) {
                    queue.pop_back();
                }
                queue.push_back((pushed, len));
                pushed += 1;
            }
            while first <= b && self.gap(first).1 <= from {
                first += 1;
            }
            while queue.front().is_some_and(|q| q.0 <= first) {
                queue.pop_front();
            }
            let in_scope =
                self.audit || block.mine || span.is_some_and(|(s, e)| from < e && s < done);
            if !in_scope {
                continue;
            }
            // The oldest rest, cut at the window's start; then the longest whole one after it.
            let (mut rest, mut rs, mut re) = (0, from, from);
            if first <= b {
                let (s, e) = self.gap(first);
                (rest, rs, re) = (e - s.max(from), s.max(from), e);
            }
            if let Some(&(m, len)) = queue.front()
                && len > rest
            {
                let (s, e) = self.gap(m);
                (rest, rs, re) = (len, s, e);
            }
            let margin = rest - REST_MIN;
            if worst.is_none_or(|w| margin < w.0) {
                worst = Some((margin, done, rest, rs, re));
            }
        }
        let finding = |state, window, amount, detail| DutyFinding {
            rule: "faa.135.267.d",
            regulation: "14 CFR 135.267(d)",
            state,
            window,
            amount,
            limit: REST_MIN / MINUTE,
            unit: Unit::Minutes,
            detail,
        };
        match worst {
            Some((margin, done, rest, rs, re)) => {
                let short = margin < 0;
                let rest_m = minutes_down(rest);
                finding(
                    if short { State::Failed } else { State::Met },
                    Self::window(done - DAY, done),
                    rest_m,
                    if rest > 0 {
                        format!(
                            "{} consecutive hours of rest ({} to {}) in the 24 hours before the planned completion at {}: {} 10 hours",
                            hm(rest_m),
                            self.local(rs),
                            self.local(re),
                            self.local(done),
                            if short { "less than" } else { "at least" },
                        )
                    } else {
                        format!(
                            "no rest in the 24 hours before the planned completion at {}: less than 10 hours",
                            self.local(done),
                        )
                    },
                )
            }
            None => finding(
                State::Met,
                None,
                0,
                "no assignment for flight time to check".to_owned(),
            ),
        }
    }

    /// 135.267(e): after flight time over the daily limits (circumstances beyond anyone's
    /// control, 135.263(d)), a rest before the next assignment for flight time of 11 hours when
    /// over by at most 30 minutes, 12 by at most 60, 16 beyond.
    fn rest_after_overrun(&self, overruns: &[i64]) -> DutyFinding {
        let n = self.blocks.len();
        let mut next_assigned = vec![None; n];
        let mut next = None;
        for b in (0..n).rev() {
            next_assigned[b] = next;
            if self.blocks[b].completion.is_some() {
                next = Some(b);
            }
        }
        // (rest - owed, overrun block, next block, over by, owed, rest, rest start, rest end)
        type Worst = (i64, usize, usize, i64, i64, i64, i64, i64);
        let mut worst: Option<Worst> = None;
        for (o, &over) in overruns.iter().enumerate() {
            let Some(nx) = next_assigned[o].filter(|_| over > 0) else {
                continue;
            };
            let in_scope =
                self.audit || self.mine_blocks.is_some_and(|(lo, hi)| lo <= nx && hi >= o);
            if !in_scope {
                continue;
            }
            let owed = if over <= 30 * MINUTE {
                11 * HOUR
            } else if over <= 60 * MINUTE {
                12 * HOUR
            } else {
                16 * HOUR
            };
            // The overrun blocks' ranges o+1..=nx do not overlap: linear in all.
            let (mut rest, mut rs, mut re) = (0, 0, 0);
            for m in o + 1..=nx {
                let (s, e) = self.gap(m);
                if e - s > rest {
                    (rest, rs, re) = (e - s, s, e);
                }
            }
            let margin = rest - owed;
            if worst.is_none_or(|w| margin < w.0) {
                worst = Some((margin, o, nx, over, owed, rest, rs, re));
            }
        }
        let finding = |state, window, amount, limit, detail| DutyFinding {
            rule: "faa.135.267.e",
            regulation: "14 CFR 135.267(e)",
            state,
            window,
            amount,
            limit,
            unit: Unit::Minutes,
            detail,
        };
        match worst {
            Some((margin, o, nx, over, owed, rest, rs, re)) => {
                let short = margin < 0;
                let (ob, nb) = (&self.blocks[o], &self.blocks[nx]);
                finding(
                    if short { State::Failed } else { State::Met },
                    Self::window(ob.end, nb.start),
                    minutes_down(rest),
                    owed / MINUTE,
                    format!(
                        "flight time {} over the daily limit in the duty period released at {} owes {} of rest \
                         before the next assignment for flight time (reporting at {}); the longest rest between \
                         is {} ({} to {}): {}",
                        hm(minutes_up(over)),
                        self.local(ob.end),
                        hm(owed / MINUTE),
                        self.local(nb.start),
                        hm(minutes_down(rest)),
                        self.local(rs),
                        self.local(re),
                        if short { "too short" } else { "enough" },
                    ),
                )
            }
            None => finding(
                State::Met,
                None,
                0,
                11 * HOUR / MINUTE,
                "no flight time over the daily limits before an assignment for flight time"
                    .to_owned(),
            ),
        }
    }

    /// 135.267(a): at most 500 hours in a calendar quarter, 800 in two consecutive quarters,
    /// 1,400 in a calendar year, on the operator's calendar. A flight across a quarter's start
    /// is split there.
    fn calendar(&self) -> [DutyFinding; 3] {
        let tz = self.tz;
        // Flight time per quarter from the first flight's quarter `q0`, and whether the
        // proposal flies in it.
        let mut totals: Vec<(i64, bool)> = Vec::new();
        let mut q0 = 0;
        if let Some(first) = self.segs.first() {
            q0 = quarter_of(first.off, tz);
            let (mut q, mut next) = (q0, quarter_start(q0 + 1, tz));
            for s in &self.segs {
                let mut off = s.off;
                if off >= next {
                    q = quarter_of(off, tz);
                    next = quarter_start(q + 1, tz);
                }
                loop {
                    let i = usize::try_from(q - q0).unwrap_or(0);
                    if totals.len() <= i {
                        totals.resize(i + 1, (0, false));
                    }
                    totals[i].0 += s.on.min(next) - off;
                    totals[i].1 |= s.mine;
                    if s.on <= next {
                        break;
                    }
                    off = next;
                    q += 1;
                    next = quarter_start(q + 1, tz);
                }
            }
        }
        let at = |q: i32| -> (i64, bool) {
            usize::try_from(q - q0)
                .ok()
                .and_then(|i| totals.get(i).copied())
                .unwrap_or((0, false))
        };
        let last = q0 + i32::try_from(totals.len()).unwrap_or(0) - 1;
        let label = |q: i32| format!("Q{} {}", q.rem_euclid(4) + 1, q.div_euclid(4));

        // One period: its first quarter and how many quarters it spans.
        let worst = |periods: &mut dyn Iterator<Item = (i32, i32)>, max: i64| {
            let mut worst: Option<(i64, i32, i32, i64)> = None;
            for (q, len) in periods {
                let (mut total, mut mine) = (0, false);
                for k in q..q + len {
                    let (t, m) = at(k);
                    total += t;
                    mine |= m;
                }
                if !(mine || self.audit && total > 0) {
                    continue;
                }
                if worst.is_none_or(|w| total - max > w.0) {
                    worst = Some((total - max, q, len, total));
                }
            }
            worst
        };
        let finding =
            |rule, regulation, max: i64, found: Option<(i64, i32, i32, i64)>, what: String| {
                let (state, window, amount, detail) = match found {
                    Some((excess, q, len, total)) => (
                        if excess > 0 {
                            State::Failed
                        } else {
                            State::Met
                        },
                        Self::window(quarter_start(q, tz), quarter_start(q + len, tz)),
                        minutes_up(total),
                        format!(
                            "{} of flight time in {what}: {} the {} hours allowed",
                            hm(minutes_up(total)),
                            if excess > 0 { "over" } else { "within" },
                            max / HOUR,
                        ),
                    ),
                    None => (State::Met, None, 0, "no flight time to count".to_owned()),
                };
                DutyFinding {
                    rule,
                    regulation,
                    state,
                    window,
                    amount,
                    limit: max / MINUTE,
                    unit: Unit::Minutes,
                    detail,
                }
            };
        let quarters = worst(&mut (q0..=last).map(|q| (q, 1)), QUARTER_MAX);
        let pairs = worst(&mut (q0 - 1..=last).map(|q| (q, 2)), TWO_QUARTERS_MAX);
        let years = worst(
            &mut (q0.div_euclid(4)..=last.div_euclid(4)).map(|y| (y * 4, 4)),
            YEAR_MAX,
        );
        let q = |w: Option<(i64, i32, i32, i64)>| w.map_or(0, |w| w.1);
        [
            finding(
                "faa.135.267.a.1",
                "14 CFR 135.267(a)(1)",
                QUARTER_MAX,
                quarters,
                format!("the calendar quarter {}", label(q(quarters))),
            ),
            finding(
                "faa.135.267.a.2",
                "14 CFR 135.267(a)(2)",
                TWO_QUARTERS_MAX,
                pairs,
                format!(
                    "the consecutive quarters {} and {}",
                    label(q(pairs)),
                    label(q(pairs) + 1)
                ),
            ),
            finding(
                "faa.135.267.a.3",
                "14 CFR 135.267(a)(3)",
                YEAR_MAX,
                years,
                format!("the calendar year {}", q(years).div_euclid(4)),
            ),
        ]
    }

    /// 135.267(f): at least 13 rest periods of at least 24 consecutive hours in each calendar
    /// quarter. A rest counts in a quarter for the part of it inside the quarter, and once
    /// however long it is; the time after the last duty on record could still hold one for
    /// every 24 hours of it, so a quarter fails only when it can no longer be met.
    fn long_rests(&self) -> DutyFinding {
        let tz = self.tz;
        let finding = |state, window, amount, detail| DutyFinding {
            rule: "faa.135.267.f",
            regulation: "14 CFR 135.267(f)",
            state,
            window,
            amount,
            limit: LONG_RESTS,
            unit: Unit::RestPeriods,
            detail,
        };
        let span = if self.audit {
            self.blocks
                .first()
                .zip(self.blocks.last())
                .map(|(f, l)| (f.start, l.end))
        } else {
            self.mine_span()
        };
        let Some((from, to)) = span else {
            return finding(State::Met, None, 0, "no duty period to check".to_owned());
        };
        let n = self.blocks.len();
        // (count - 13, quarter start, quarter end, count, of them in the open end)
        let mut worst: Option<(i64, i64, i64, i64, i64)> = None;
        for q in quarter_of(from, tz)..=quarter_of((to - 1).max(from), tz) {
            let (qs, qe) = (quarter_start(q, tz), quarter_start(q + 1, tz));
            let (mut count, mut open) = (0, 0);
            let mut m = self.blocks.partition_point(|b| b.end <= qs);
            while m <= n {
                let (s, e) = self.gap(m);
                if s >= qe {
                    break;
                }
                let len = e.min(qe) - s.max(qs);
                if m == n {
                    open = len.max(0) / DAY;
                    count += open;
                } else if len >= DAY {
                    count += 1;
                }
                m += 1;
            }
            if worst.is_none_or(|w| count - LONG_RESTS < w.0) {
                worst = Some((count - LONG_RESTS, qs, qe, count, open));
            }
        }
        match worst {
            Some((margin, qs, qe, count, open)) => {
                let short = margin < 0;
                let label = {
                    let q = quarter_of(qs, tz);
                    format!("Q{} {}", q.rem_euclid(4) + 1, q.div_euclid(4))
                };
                finding(
                    if short { State::Failed } else { State::Met },
                    Self::window(qs, qe),
                    count,
                    format!(
                        "{} rest periods of at least 24 consecutive hours possible in {label} ({} of them in the time \
                         after the last duty on record): {} 13",
                        count,
                        open,
                        if short { "fewer than" } else { "at least" },
                    ),
                )
            }
            None => finding(State::Met, None, 0, "no duty period to check".to_owned()),
        }
    }
}

/// The quarter of `secs` on the operator's calendar, as `year * 4 + (0..4)`.
fn quarter_of(secs: i64, tz: Tz) -> i32 {
    let local = instant(secs).with_timezone(&tz);
    local.year() * 4 + i32::try_from(local.month0() / 3).unwrap_or(0)
}

/// The instant quarter `q` begins: local midnight of its first day (or the first instant of that
/// day where a time zone skips midnight).
fn quarter_start(q: i32, tz: Tz) -> i64 {
    let month = u32::try_from(q.rem_euclid(4) * 3 + 1).unwrap_or(1);
    let Some(mut t) =
        NaiveDate::from_ymd_opt(q.div_euclid(4), month, 1).and_then(|d| d.and_hms_opt(0, 0, 0))
    else {
        return if q < 0 { -OPEN } else { OPEN };
    };
    for _ in 0..16 {
        if let Some(at) = tz.from_local_datetime(&t).earliest() {
            return at.timestamp();
        }
        t += TimeDelta::minutes(15);
    }
    t.and_utc().timestamp()
}

fn minutes_up(secs: i64) -> i64 {
    secs.div_euclid(MINUTE) + i64::from(secs.rem_euclid(MINUTE) > 0)
}

fn minutes_down(secs: i64) -> i64 {
    secs.div_euclid(MINUTE)
}

/// `h:mm`.
fn hm(minutes: i64) -> String {
    format!("{}:{:02}", minutes.div_euclid(60), minutes.rem_euclid(60))
}

#[cfg(test)]
mod tests;
