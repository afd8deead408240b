//! Lines of text down A4 pages for the charter documents (quote, itinerary, General
//! Declaration, passenger manifest), over the kernel's PDF toolkit.

use crate::kernel::pdf::{self, FontMetrics, Op, PAGE_H, PAGE_W, PT, Picture, Style};

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

    /// The logo's box at the top right of the page.
    pub const LOGO_W: i64 = 150 * PT;
    const LOGO_H: i64 = 48 * PT;

    /// `text` at `x` on the current line, cut to the page's right margin.
    pub fn text(&mut self, x: i64, text: &str, size: i64, style: Style) {
        self.text_within(x, Self::RIGHT - x, text, size, style);
    }

    /// `text` at `x` on the current line, cut to `max_w`.
    pub fn text_within(&mut self, x: i64, max_w: i64, text: &str, size: i64, style: Style) {
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

    /// `picture` (the organisation's logo) in a box at the top right of the current page.
    pub fn logo(&mut self, picture: &Picture) {
        if let Some(page) = self.pages.last_mut() {
            page.push(Op::Picture {
                x: Self::RIGHT - Self::LOGO_W,
                y: 28 * PT,
                w: Self::LOGO_W,
                h: Self::LOGO_H,
                picture: picture.clone(),
            });
        }
    }

    /// The organisation's name on the first line, beside its logo when it has one.
    pub fn issuer(&mut self, name: &str, logo: Option<&Picture>, size: i64) {
        match logo {
            Some(logo) => {
                self.logo(logo);
                let w = Self::beside_logo(Self::LEFT);
                self.text_within(Self::LEFT, w, name, size, Style::Bold);
            }
            None => self.text(Self::LEFT, name, size, Style::Bold),
        }
    }

    /// The width left of the logo's box for text starting at `x`.
    pub fn beside_logo(x: i64) -> i64 {
        Self::RIGHT - Self::LOGO_W - 10 * PT - x
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
