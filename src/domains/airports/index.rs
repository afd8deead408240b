//! The search index of the shipped airports, in memory: built once from the same embedded CSV
//! that `reference.airports` is loaded from, so it always matches the data the binary carries.
//! PostgreSQL's trigram search over the table took 7-130 ms a query on the 2-vCPU benchmark
//! host (a generic plan falls back to a sequential scan computing similarity for 28,298 rows);
//! the target is 5 ms at p99, so search ranks in memory: codes from hash maps, prefixes and
//! substrings by scanning 28,298 short strings, misspellings through an inverted trigram index
//! (pg_trgm's trigrams; the share of the term's trigrams a name has, as its word similarity).
//! See docs/airports.md.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::dto::{Airport, AirportSource};
use super::geo::{Point, distance_nm};

/// One airport as searched and returned.
struct Entry {
    airport: Airport,
    /// Lower-case "name city".
    search: String,
    /// Its distinct trigrams.
    trigrams: usize,
}

pub struct Index {
    entries: Vec<Entry>,
    /// Every entry's `search`, each followed by a newline, and where each starts: one
    /// substring search over it finds every entry containing a term.
    all: String,
    starts: Vec<usize>,
    codes: HashMap<String, Vec<u32>>,
    trigrams: HashMap<[char; 3], Vec<u32>>,
}

#[derive(serde::Deserialize)]
struct Row {
    icao: String,
    iata: String,
    name: String,
    city: String,
    subd: String,
    country: String,
    elevation: Option<f64>,
    lat: f64,
    lon: f64,
    tz: String,
    lid: String,
}

fn some(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

/// pg_trgm's trigrams of `text`: each run of letters and digits, lower case, padded with two
/// spaces before and one after.
pub fn trigrams(text: &str) -> Vec<[char; 3]> {
    let mut out = Vec::new();
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let padded: Vec<char> = "  "
            .chars()
            .chain(word.chars().flat_map(char::to_lowercase))
            .chain(" ".chars())
            .collect();
        for w in padded.windows(3) {
            out.push([w[0], w[1], w[2]]);
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

impl Index {
    fn build(csv_bytes: &[u8]) -> Self {
        let mut entries = Vec::new();
        let mut codes: HashMap<String, Vec<u32>> = HashMap::new();
        let mut grams: HashMap<[char; 3], Vec<u32>> = HashMap::new();
        let mut reader = csv::Reader::from_reader(csv_bytes);
        for row in reader.deserialize::<Row>().flatten() {
            let i = u32::try_from(entries.len()).unwrap_or(u32::MAX);
            let search = format!("{} {}", row.name, row.city).to_lowercase();
            let tg = trigrams(&search);
            for g in &tg {
                grams.entry(*g).or_default().push(i);
            }
            for code in [&row.icao, &row.iata, &row.lid] {
                if !code.is_empty() {
                    codes.entry(code.clone()).or_default().push(i);
                }
            }
            entries.push(Entry {
                search,
                trigrams: tg.len(),
                airport: Airport {
                    code: row.icao.clone(),
                    icao: Some(row.icao),
                    iata: some(row.iata),
                    local_id: some(row.lid),
                    name: row.name,
                    city: some(row.city),
                    subdivision: some(row.subd),
                    country: some(row.country),
                    latitude: row.lat,
                    longitude: row.lon,
                    elevation_ft: row.elevation.map(|e| e.round() as i32),
                    time_zone: row.tz,
                    longest_runway_ft: None,
                    source: AirportSource::Reference,
                    site_id: None,
                    kind: None,
                },
            });
        }
        let mut all = String::new();
        let mut starts = Vec::with_capacity(entries.len());
        for e in &entries {
            starts.push(all.len());
            all.push_str(&e.search);
            all.push('\n');
        }
        Self {
            entries,
            all,
            starts,
            codes,
            trigrams: grams,
        }
    }

    /// The index of the shipped airports (built on first use, about 0.2 s).
    pub fn get() -> &'static Index {
        static INDEX: OnceLock<Index> = OnceLock::new();
        INDEX.get_or_init(|| Index::build(super::reference::CSV))
    }

    /// The nearest airport to `p` with an IATA code (scheduled service: nearly always a
    /// weather reporting station) within `max_nm`, and its distance in nautical miles.
    pub fn nearest_with_iata(&self, p: Point, max_nm: f64) -> Option<(&Airport, f64)> {
        // A degree of latitude is 60 nm: a cheap box first, the great circle inside it.
        let max_deg = max_nm / 60.0 + 0.01;
        self.entries
            .iter()
            .map(|e| &e.airport)
            .filter(|a| a.iata.is_some() && (a.latitude - p.latitude).abs() <= max_deg)
            .map(|a| {
                let d = distance_nm(
                    p,
                    Point {
                        latitude: a.latitude,
                        longitude: a.longitude,
                    },
                );
                (a, d)
            })
            .filter(|(_, d)| *d <= max_nm)
            .min_by(|x, y| x.1.total_cmp(&y.1))
    }

    /// How many airports it holds.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.len()
    }

    /// The best `limit` matches of `term` (not blank), ranked: the ICAO code, the IATA code, the
    /// local code; names starting with the term; names or cities containing it, shorter first;
    /// with three characters or more and fewer matches than `limit`, names spelled like it
    /// (see `similar`). Ties by code.
    pub fn search(&self, term: &str, country: Option<&str>, limit: usize) -> Vec<(u8, Airport)> {
        let code = term.trim().to_uppercase();
        let text = term.trim().to_lowercase();
        let in_country =
            |e: &Entry| country.is_none_or(|c| e.airport.country.as_deref() == Some(c));
        let mut ranked: Vec<(u8, u32, u32)> = Vec::new(); // (rank, tiebreak, entry)
        let mut seen = std::collections::HashSet::new();
        if let Some(ids) = self.codes.get(&code) {
            for &i in ids {
                let e = &self.entries[i as usize];
                if !in_country(e) {
                    continue;
                }
                let rank = if e.airport.icao.as_deref() == Some(&code) {
                    0
                } else if e.airport.iata.as_deref() == Some(&code) {
                    1
                } else {
                    2
                };
                if seen.insert(i) {
                    ranked.push((rank, 0, i));
                }
            }
        }
        let long = text.chars().count() >= 3;
        if !text.is_empty() && !text.contains('\n') {
            // Each hit is inside one entry's text (a newline ends each, and the term has
            // none); a hit at an entry's first byte is a name starting with the term.
            let mut last = None;
            for at in memchr::memmem::find_iter(self.all.as_bytes(), text.as_bytes()) {
                let i = self.starts.partition_point(|s| *s <= at) - 1;
                if last == Some(i) && self.starts[i] != at {
                    continue;
                }
                last = Some(i);
                let rank = if self.starts[i] == at {
                    3
                } else if long {
                    4
                } else {
                    continue;
                };
                let e = &self.entries[i];
                let i = i as u32;
                if in_country(e) && seen.insert(i) {
                    ranked.push((rank, e.search.len() as u32, i));
                }
            }
        }
        ranked.sort_unstable_by(|a, b| {
            (a.0, a.1)
                .cmp(&(b.0, b.1))
                .then_with(|| self.code_of(a.2).cmp(self.code_of(b.2)))
        });
        ranked.truncate(limit);
        if long && ranked.len() < limit {
            for (i, _) in self.similar(&text) {
                if ranked.len() >= limit {
                    break;
                }
                if in_country(&self.entries[i as usize]) && seen.insert(i) {
                    ranked.push((5, 0, i));
                }
            }
        }
        ranked
            .into_iter()
            .map(|(rank, _, i)| (rank, self.entries[i as usize].airport.clone()))
            .collect()
    }

    fn code_of(&self, i: u32) -> &str {
        &self.entries[i as usize].airport.code
    }

    /// Entries spelled like `text`: at least 60 % of its trigrams found in the name or city
    /// (pg_trgm's word similarity threshold), the larger share first, then the closer whole
    /// (trigram similarity of the two strings), then the code.
    fn similar(&self, text: &str) -> Vec<(u32, f32)> {
        let query = trigrams(text);
        if query.is_empty() {
            return Vec::new();
        }
        let mut shared = vec![0u16; self.entries.len()];
        for g in &query {
            if let Some(ids) = self.trigrams.get(g) {
                for &i in ids {
                    shared[i as usize] += 1;
                }
            }
        }
        let q = query.len() as f32;
        let mut out: Vec<(u32, f32, f32)> = shared
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .filter_map(|(i, &n)| {
                let n = f32::from(n);
                let share = n / q;
                let whole = n / (q + self.entries[i].trigrams as f32 - n);
                (share >= 0.6).then_some((i as u32, share, whole))
            })
            .collect();
        out.sort_unstable_by(|a, b| {
            b.1.total_cmp(&a.1)
                .then_with(|| b.2.total_cmp(&a.2))
                .then_with(|| self.code_of(a.0).cmp(self.code_of(b.0)))
        });
        out.into_iter().map(|(i, share, _)| (i, share)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigrams_follow_pg_trgm() {
        // pg_trgm: show_trgm('cat') = {"  c"," ca","at ","cat"}
        assert_eq!(
            trigrams("Cat"),
            vec![
                [' ', ' ', 'c'],
                [' ', 'c', 'a'],
                ['a', 't', ' '],
                ['c', 'a', 't']
            ]
        );
        assert_eq!(trigrams("a-b").len(), 4);
        assert!(trigrams("  ").is_empty());
    }

    #[test]
    fn the_nearest_airport_with_scheduled_service() {
        let index = Index::get();
        // The Zurich university hospital's helipad: Zurich airport, about 5 nm away.
        let usz = Point {
            latitude: 47.3769,
            longitude: 8.5509,
        };
        let (a, d) = index.nearest_with_iata(usz, 50.0).expect("an airport");
        assert_eq!(a.code, "LSZH");
        assert!((4.0..6.0).contains(&d), "{d}");
        // Mid-Atlantic: nothing within 50 nm.
        let ocean = Point {
            latitude: 40.0,
            longitude: -40.0,
        };
        assert!(index.nearest_with_iata(ocean, 50.0).is_none());
    }

    #[test]
    fn the_shipped_data_is_indexed_and_ranked() {
        let index = Index::get();
        assert_eq!(index.len(), 28_298);
        let code = |r: &[(u8, Airport)]| r.iter().map(|(_, a)| a.code.clone()).collect::<Vec<_>>();
        assert_eq!(code(&index.search("lszh", None, 5)), ["LSZH"]);
        assert_eq!(code(&index.search("ZRH", None, 5))[0], "LSZH");
        assert_eq!(code(&index.search("00M", None, 5))[0], "K00M");
        let heathrow = index.search("heathrow", None, 5);
        assert_eq!(code(&heathrow)[..2], ["TE17", "EGLL"]);
        let typo = index.search("frankfrt", None, 10);
        assert!(typo.iter().all(|(rank, _)| *rank == 5));
        assert!(
            code(&typo).contains(&"EDDF".to_owned()),
            "{:?}",
            code(&typo)
        );
        let swiss = index.search("zurich", Some("CH"), 50);
        assert!(
            swiss
                .iter()
                .all(|(_, a)| a.country.as_deref() == Some("CH"))
        );
        assert!(code(&swiss).contains(&"LSMD".to_owned()));
        // One or two characters: codes and name prefixes only.
        assert!(
            index.search("zu", None, 200).iter().all(|(_, a)| a
                .name
                .to_lowercase()
                .starts_with("zu")
                || a.code == "ZU")
        );
        assert_eq!(index.search("international", None, 7).len(), 7);
    }
}
