//! Lines of text down A4 pages for the charter documents (quote, itinerary, General
//! Declaration, passenger manifest), over the kernel's PDF toolkit.

use crate::kernel::pdf::{self, FontMetrics, Op, PAGE_H, PAGE_W, PT, Style};

/// Text placed down A4 pages, a new page when one is full.
pub(super) struct Pages<'a> {
    fm: &'a FontMetrics,
    pub pages: Vec<Vec<Op>>,
    y: i64,
}

impl<'a> Pages<'a> {
    pub const LEFT: i64 = 50 * PT;
    pub const AMOUNT: i64 = 400 * PT;
    const TOP: i64 = 60 * PT;
    const RIGHT: i64 = 545 * PT;

    pub fn new(fm: &'a FontMetrics) -> Self {
        Self {
            fm,
            pages: vec![Vec::new()],
            y: Self::TOP,
        }
    }

    /// `text` at `x` on the current line, cut to the page's right margin.
    pub fn text(&mut self, x: i64, text: &str, size: i64, style: Style) {
        let max_w = Self::RIGHT - x;
        let text = self
            .fm
            .ellipsize(&pdf::clean(text, 300, false), size, max_w);
        if let Some(page) = self.pages.last_mut() {
            page.push(Op::Text {
                x,
                y: self.y,
                size,
                text,
                style,
            });
        }
    }

    /// A thin rule across the page below the current line.
    pub fn rule(&mut self) {
        let y = self.y + 4 * PT;
        if let Some(page) = self.pages.last_mut() {
            page.push(Op::Rule {
                x1: Self::LEFT,
                x2: PAGE_W - Self::LEFT,
                y,
                width: PT / 2,
                gray: 160,
            });
        }
    }

    /// Down `step` to the next line, on a new page when this one is full.
    pub fn down(&mut self, step: i64) {
        self.y += step;
        if self.y > PAGE_H - Self::TOP {
            self.new_page();
        }
    }

    /// The rest of the document on a new page.
    pub fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = Self::TOP;
    }
}
