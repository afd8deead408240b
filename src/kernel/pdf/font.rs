//! Just enough TrueType reading for glyph ids and advance widths, and text cleaning.

use std::ops::Range;

use krilla::text::{GlyphId, KrillaGlyph};

// ---------------------------------------------------------------------------------------------
// Font metrics: just enough TrueType reading for glyph ids and advance widths
// ---------------------------------------------------------------------------------------------

fn be16(d: &[u8], at: usize) -> Option<u16> {
    let bytes = d.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes(bytes.try_into().ok()?))
}

fn be32(d: &[u8], at: usize) -> Option<u32> {
    let bytes = d.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes(bytes.try_into().ok()?))
}

#[derive(Clone, Copy)]
enum Cmap {
    /// Segment mapping to delta values (BMP).
    Format4(usize),
    /// Segmented coverage (full Unicode).
    Format12(usize),
}

pub struct FontMetrics {
    data: &'static [u8],
    units_per_em: i64,
    num_glyphs: u16,
    num_h_metrics: usize,
    hmtx: usize,
    cmap: Cmap,
}

impl FontMetrics {
    pub fn parse(data: &'static [u8]) -> Option<Self> {
        let num_tables = usize::from(be16(data, 4)?);
        let table = |tag: &[u8; 4]| -> Option<usize> {
            (0..num_tables).find_map(|i| {
                let rec = 12 + 16 * i;
                (data.get(rec..rec + 4)? == tag).then_some(())?;
                usize::try_from(be32(data, rec + 8)?).ok()
            })
        };
        let units_per_em = i64::from(be16(data, table(b"head")? + 18)?);
        let num_glyphs = be16(data, table(b"maxp")? + 4)?;
        let num_h_metrics = usize::from(be16(data, table(b"hhea")? + 34)?);
        let hmtx = table(b"hmtx")?;
        let cmap_at = table(b"cmap")?;
        let mut cmap = None;
        for i in 0..usize::from(be16(data, cmap_at + 2)?) {
            let rec = cmap_at + 4 + 8 * i;
            let (platform, encoding) = (be16(data, rec)?, be16(data, rec + 2)?);
            let sub = cmap_at + usize::try_from(be32(data, rec + 4)?).ok()?;
            match (platform, encoding, be16(data, sub)?) {
                (3, 10, 12) | (0, 4, 12) | (0, 6, 12) => {
                    cmap = Some(Cmap::Format12(sub));
                    break;
                }
                (3, 1, 4) | (0, 0..=3, 4) => cmap = Some(Cmap::Format4(sub)),
                _ => {}
            }
        }
        if units_per_em <= 0 || num_h_metrics == 0 {
            return None;
        }
        Some(Self {
            data,
            units_per_em,
            num_glyphs,
            num_h_metrics,
            hmtx,
            cmap: cmap?,
        })
    }

    pub fn lookup(&self, cp: u32) -> Option<u16> {
        let d = self.data;
        match self.cmap {
            Cmap::Format12(sub) => {
                let groups = usize::try_from(be32(d, sub + 12)?).ok()?;
                let (mut lo, mut hi) = (0usize, groups);
                while lo < hi {
                    let mid = lo + (hi - lo) / 2;
                    let g = sub + 16 + 12 * mid;
                    let (start, end) = (be32(d, g)?, be32(d, g + 4)?);
                    if cp < start {
                        hi = mid;
                    } else if cp > end {
                        lo = mid + 1;
                    } else {
                        let gid = be32(d, g + 8)?.checked_add(cp - start)?;
                        return u16::try_from(gid).ok();
                    }
                }
                None
            }
            Cmap::Format4(sub) => {
                let cp = u16::try_from(cp).ok()?;
                let seg_x2 = usize::from(be16(d, sub + 6)?);
                let segs = seg_x2 / 2;
                let ends = sub + 14;
                let starts = ends + seg_x2 + 2;
                let deltas = starts + seg_x2;
                let offsets = deltas + seg_x2;
                let (mut lo, mut hi) = (0usize, segs);
                while lo < hi {
                    let mid = lo + (hi - lo) / 2;
                    if be16(d, ends + 2 * mid)? < cp {
                        lo = mid + 1;
                    } else {
                        hi = mid;
                    }
                }
                if lo >= segs {
                    return None;
                }
                let start = be16(d, starts + 2 * lo)?;
                if start > cp {
                    return None;
                }
                let delta = be16(d, deltas + 2 * lo)?;
                let range_offset = usize::from(be16(d, offsets + 2 * lo)?);
                if range_offset == 0 {
                    return Some(cp.wrapping_add(delta));
                }
                let at = offsets + 2 * lo + range_offset + 2 * usize::from(cp - start);
                match be16(d, at)? {
                    0 => None,
                    g => Some(g.wrapping_add(delta)),
                }
            }
        }
    }

    /// Glyph id for a character; 0 (.notdef) when the font lacks it.
    pub fn glyph(&self, c: char) -> u16 {
        match self.lookup(u32::from(c)) {
            Some(g) if g < self.num_glyphs => g,
            _ => 0,
        }
    }

    /// Advance width in font units.
    pub fn advance(&self, gid: u16) -> i64 {
        let idx = usize::from(gid).min(self.num_h_metrics.saturating_sub(1));
        i64::from(be16(self.data, self.hmtx + 4 * idx).unwrap_or(0))
    }

    pub fn char_units(&self, c: char) -> i64 {
        self.advance(self.glyph(c))
    }

    pub fn units(&self, s: &str) -> i64 {
        s.chars()
            .fold(0i64, |acc, c| acc.saturating_add(self.char_units(c)))
    }

    /// Width of `s` in mpt at font size `size` (mpt).
    pub fn width(&self, s: &str, size: i64) -> i64 {
        self.units(s).saturating_mul(size) / self.units_per_em
    }

    /// A width in mpt converted to font units at font size `size` (mpt).
    pub fn limit_units(&self, max_w: i64, size: i64) -> i64 {
        max_w.saturating_mul(self.units_per_em) / size.max(1)
    }

    pub fn glyphs(&self, s: &str) -> Vec<KrillaGlyph> {
        let upem = self.units_per_em as f32;
        s.char_indices()
            .map(|(i, c)| {
                let gid = self.glyph(c);
                let range: Range<usize> = i..i + c.len_utf8();
                let adv = self.advance(gid) as f32 / upem;
                KrillaGlyph::new(
                    GlyphId::new(u32::from(gid)),
                    adv,
                    0.0,
                    0.0,
                    0.0,
                    range,
                    None,
                )
            })
            .collect()
    }

    /// `s` shortened (from the end) so that `s…` fits within `limit` font units.
    pub fn with_ellipsis(&self, s: &str, limit: i64) -> String {
        let ell = self.char_units('…');
        let mut out: String = s.to_owned();
        while !out.is_empty() && self.units(&out).saturating_add(ell) > limit {
            out.pop();
        }
        let mut out = out.trim_end().to_owned();
        out.push('…');
        out
    }

    /// `s` on one line, truncated with `…` when wider than `max_w`.
    pub fn ellipsize(&self, s: &str, size: i64, max_w: i64) -> String {
        let limit = self.limit_units(max_w, size);
        let mut w = 0i64;
        for (i, c) in s.char_indices() {
            w = w.saturating_add(self.char_units(c));
            if w > limit {
                return self.with_ellipsis(s.get(..i).unwrap_or(""), limit);
            }
        }
        s.to_owned()
    }

    /// Greedy word wrap into at most `max_lines` lines of width `max_w`; words wider than a
    /// line are broken between characters; overflow ends the last line with `…`.
    pub fn wrap(&self, text: &str, size: i64, max_w: i64, max_lines: usize) -> Vec<String> {
        let mut lines: Vec<String> = Vec::new();
        if max_lines == 0 {
            return lines;
        }
        let limit = self.limit_units(max_w, size);
        let space = self.char_units(' ');
        let mut cur = String::new();
        let mut cur_w = 0i64;
        let mut truncated = false;
        'words: for word in text.split_whitespace() {
            let ww = self.units(word);
            if cur.is_empty() && ww <= limit {
                cur.push_str(word);
                cur_w = ww;
                continue;
            }
            if !cur.is_empty() {
                let joined = cur_w.saturating_add(space).saturating_add(ww);
                if joined <= limit {
                    cur.push(' ');
                    cur.push_str(word);
                    cur_w = joined;
                    continue;
                }
                if lines.len() + 1 >= max_lines {
                    truncated = true;
                    break 'words;
                }
                lines.push(std::mem::take(&mut cur));
                cur_w = 0;
                if ww <= limit {
                    cur.push_str(word);
                    cur_w = ww;
                    continue;
                }
            }
            for c in word.chars() {
                let cw = self.char_units(c);
                if !cur.is_empty() && cur_w.saturating_add(cw) > limit {
                    if lines.len() + 1 >= max_lines {
                        truncated = true;
                        break 'words;
                    }
                    lines.push(std::mem::take(&mut cur));
                    cur_w = 0;
                }
                cur.push(c);
                cur_w = cur_w.saturating_add(cw);
            }
        }
        if truncated {
            cur = self.with_ellipsis(&cur, limit);
        }
        if !cur.is_empty() {
            lines.push(cur);
        }
        lines
    }
}

/// Control characters become spaces (newlines too unless `keep_newlines`), input is capped at
/// `max_chars` characters so that absurd input stays cheap.
pub fn clean(s: &str, max_chars: usize, keep_newlines: bool) -> String {
    let mut out: String = s
        .chars()
        .take(max_chars)
        .map(|c| {
            if c == '\n' && keep_newlines {
                c
            } else if c.is_control() {
                ' '
            } else {
                c
            }
        })
        .collect();
    if s.chars().nth(max_chars).is_some() {
        out.push('…');
    }
    out
}
