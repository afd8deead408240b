//! Page layout in integer millipoints: header, table, totals, notes, footer.

use super::*;

// ---------------------------------------------------------------------------------------------
// Layout (integers, mpt = 1/1000 pt, origin top-left, y downwards)
// ---------------------------------------------------------------------------------------------

pub(super) const LEFT: i64 = 50 * PT;
pub(super) const RIGHT: i64 = PAGE_W - 50 * PT;
pub(super) const CONTENT_W: i64 = RIGHT - LEFT;
pub(super) const BODY_TOP: i64 = 128 * PT;
pub(super) const BODY_BOTTOM: i64 = PAGE_H - 58 * PT;
pub(super) const FOOTER_Y: i64 = PAGE_H - 30 * PT;

// Table columns: right edges and widths of the numeric cells.
pub(super) const PAD: i64 = 4 * PT;
pub(super) const AMT_R: i64 = RIGHT - PAD;
pub(super) const AMT_W: i64 = 92 * PT;
pub(super) const UNIT_R: i64 = AMT_R - AMT_W - 8 * PT;
pub(super) const UNIT_W: i64 = 92 * PT;
pub(super) const QTY_R: i64 = UNIT_R - UNIT_W - 8 * PT;
pub(super) const QTY_W: i64 = 54 * PT;
pub(super) const DESC_X: i64 = LEFT + PAD;
pub(super) const DESC_W: i64 = QTY_R - QTY_W - 10 * PT - DESC_X;

pub(super) const BODY_SIZE: i64 = 9_500;
pub(super) const BODY_LEAD: i64 = 12_500;
pub(super) const MAX_DESC_LINES: usize = 20;
pub(super) const MAX_NOTE_LINES: usize = 300;

// Totals block.
pub(super) const LABEL_R: i64 = 420 * PT;
pub(super) const LABEL_W: i64 = 170 * PT;
pub(super) const VALUE_W: i64 = 115 * PT;
pub(super) const TOTAL_ROW: i64 = 16 * PT;

pub(super) struct Layout<'m> {
    pub(super) fm: &'m FontMetrics,
    pub(super) issuer: String,
    pub(super) title: String,
    pub(super) number: Option<String>,
    pub(super) done: Vec<Vec<Op>>,
    pub(super) page: Vec<Op>,
    pub(super) y: i64,
    pub(super) in_table: bool,
}

impl<'m> Layout<'m> {
    pub(super) fn text(&mut self, x: i64, y: i64, size: i64, text: String, style: Style) {
        if !text.is_empty() {
            self.page.push(Op::Text {
                x,
                y,
                size,
                text,
                style,
            });
        }
    }

    /// Right-aligned at `right`; the font size shrinks (down to 4 pt) when wider than `max_w`.
    pub(super) fn fit_right(
        &mut self,
        right: i64,
        y: i64,
        size: i64,
        max_w: i64,
        text: String,
        style: Style,
    ) {
        let mut size = size;
        let w = self.fm.width(&text, size);
        if w > max_w && w > 0 {
            size = (size.saturating_mul(max_w) / w).max(4 * PT);
        }
        let w = self.fm.width(&text, size);
        self.text(right - w, y, size, text, style);
    }

    pub(super) fn rule(&mut self, x1: i64, x2: i64, y: i64, width: i64, gray: u8) {
        self.page.push(Op::Rule {
            x1,
            x2,
            y,
            width,
            gray,
        });
    }

    pub(super) fn header(&mut self) {
        let fm = self.fm;
        let issuer = fm.wrap(&self.issuer, 14 * PT, 280 * PT, 2);
        for (i, line) in issuer.into_iter().enumerate() {
            self.text(
                LEFT,
                62 * PT + 17 * PT * i as i64,
                14 * PT,
                line,
                Style::Bold,
            );
        }
        let title = self.title.clone();
        self.fit_right(RIGHT, 64 * PT, 20 * PT, 200 * PT, title, Style::Bold);
        match self.number.clone() {
            Some(n) => {
                let text = fm.ellipsize(&format!("No. {n}"), 11 * PT, 220 * PT);
                self.fit_right(RIGHT, 84 * PT, 11 * PT, 220 * PT, text, Style::Normal);
            }
            None => self.fit_right(
                RIGHT,
                88 * PT,
                18 * PT,
                200 * PT,
                "DRAFT".into(),
                Style::Alert,
            ),
        }
        self.rule(LEFT, RIGHT, 104 * PT, 750, 170);
    }

    pub(super) fn table_header(&mut self) {
        let y = self.y;
        self.page.push(Op::Band {
            x: LEFT,
            y,
            w: CONTENT_W,
            h: 18 * PT,
            gray: 236,
        });
        let base = y + 12_500;
        let size = 9 * PT;
        self.text(DESC_X, base, size, "Description".into(), Style::Bold);
        self.fit_right(QTY_R, base, size, QTY_W, "Quantity".into(), Style::Bold);
        self.fit_right(UNIT_R, base, size, UNIT_W, "Unit price".into(), Style::Bold);
        self.fit_right(AMT_R, base, size, AMT_W, "Amount".into(), Style::Bold);
        self.y = y + 20 * PT;
    }

    pub(super) fn new_page(&mut self) {
        if !self.page.is_empty() {
            self.done.push(std::mem::take(&mut self.page));
        }
        self.header();
        self.y = BODY_TOP;
        if self.in_table {
            self.table_header();
        }
    }

    /// Starts a new page unless `h` more mpt fit on this one.
    pub(super) fn ensure(&mut self, h: i64) {
        if self.y.saturating_add(h) > BODY_BOTTOM {
            self.new_page();
        }
    }

    pub(super) fn finish(mut self) -> Vec<Vec<Op>> {
        if !self.page.is_empty() {
            self.done.push(std::mem::take(&mut self.page));
        }
        self.done
    }
}

pub(super) fn layout(fm: &FontMetrics, inv: &PdfInvoice<'_>) -> Vec<Vec<Op>> {
    let mut lay = Layout {
        fm,
        issuer: clean(inv.issuer, 500, false),
        title: fm.ellipsize(&clean(inv.title, 200, false), 20 * PT, 200 * PT),
        number: inv
            .number
            .map(|n| clean(n, 200, false))
            .filter(|n| !n.trim().is_empty()),
        done: Vec::new(),
        page: Vec::new(),
        y: BODY_TOP,
        in_table: false,
    };
    lay.new_page();

    // Customer (left) and dates (right).
    let mut left_y = lay.y;
    lay.text(LEFT, left_y, 9 * PT, "Bill to".into(), Style::Muted);
    left_y += 15 * PT;
    let customer = clean(inv.customer_name, 1000, false);
    for line in fm.wrap(&customer, 11 * PT, 280 * PT, 3) {
        lay.text(LEFT, left_y, 11 * PT, line, Style::Bold);
        left_y += 14 * PT;
    }
    if let Some(email) = inv.customer_email {
        let email = fm.ellipsize(&clean(email, 500, false), 10 * PT, 280 * PT);
        lay.text(LEFT, left_y, 10 * PT, email, Style::Normal);
        left_y += 14 * PT;
    }
    let mut right_y = lay.y;
    let dates = [("Issued", inv.issued_on), ("Due", inv.due_on)];
    for (label, date) in dates {
        if let Some(d) = date {
            lay.text(385 * PT, right_y, 10 * PT, label.into(), Style::Muted);
            lay.fit_right(
                RIGHT,
                right_y,
                10 * PT,
                100 * PT,
                format_date(d),
                Style::Normal,
            );
            right_y += 15 * PT;
        }
    }
    lay.y = left_y.max(right_y) + 14 * PT;

    // Line items.
    lay.ensure(60 * PT);
    lay.in_table = true;
    lay.table_header();
    if inv.lines.is_empty() {
        lay.text(
            DESC_X,
            lay.y + 10_500,
            BODY_SIZE,
            "No line items".into(),
            Style::Muted,
        );
        lay.y += BODY_LEAD + 6 * PT;
    }
    for line in inv.lines {
        let desc = clean(line.description, 10_000, false);
        let wrapped = fm.wrap(&desc, BODY_SIZE, DESC_W, MAX_DESC_LINES);
        let rows = wrapped.len().max(1) as i64;
        let row_h = rows * BODY_LEAD + 6 * PT;
        lay.ensure(row_h);
        let base = lay.y + 10_500;
        for (i, text) in wrapped.into_iter().enumerate() {
            lay.text(
                DESC_X,
                base + BODY_LEAD * i as i64,
                BODY_SIZE,
                text,
                Style::Normal,
            );
        }
        let qty = format_quantity(line.quantity_milli);
        lay.fit_right(QTY_R, base, BODY_SIZE, QTY_W, qty, Style::Normal);
        let unit = format_money(line.unit_price_minor, inv.currency);
        lay.fit_right(UNIT_R, base, BODY_SIZE, UNIT_W, unit, Style::Normal);
        let amount = format_money(line.amount_minor, inv.currency);
        lay.fit_right(AMT_R, base, BODY_SIZE, AMT_W, amount, Style::Normal);
        lay.y += row_h;
        lay.rule(LEFT, RIGHT, lay.y, 500, 215);
    }
    lay.in_table = false;
    lay.y += 12 * PT;

    // Totals: kept together when they fit on one page.
    let rows = 5 + inv.taxes.len() as i64;
    lay.ensure(
        rows.saturating_mul(TOTAL_ROW)
            .saturating_add(10 * PT)
            .min(BODY_BOTTOM - BODY_TOP),
    );
    let total_row = |lay: &mut Layout<'_>, label: String, value: i64, style: Style, size: i64| {
        lay.ensure(TOTAL_ROW + 6 * PT);
        let base = lay.y + 11 * PT;
        let label = lay.fm.ellipsize(&label, size, LABEL_W);
        lay.fit_right(LABEL_R, base, size, LABEL_W, label, style);
        let value = format_money(value, inv.currency);
        lay.fit_right(AMT_R, base, size, VALUE_W, value, style);
        lay.y += TOTAL_ROW;
    };
    total_row(
        &mut lay,
        "Subtotal".into(),
        inv.subtotal_minor,
        Style::Normal,
        10 * PT,
    );
    for tax in inv.taxes {
        let name = clean(tax.name, 200, false);
        let name = if name.trim().is_empty() {
            "Tax".to_owned()
        } else {
            name
        };
        let incl = if tax.inclusive { " (incl.)" } else { "" };
        let label = format!("{} {}{}", name.trim(), format_rate(tax.rate_ppm), incl);
        total_row(&mut lay, label, tax.amount_minor, Style::Normal, 10 * PT);
    }
    if inv.taxes.is_empty() && inv.tax_minor != 0 {
        total_row(
            &mut lay,
            "Tax".into(),
            inv.tax_minor,
            Style::Normal,
            10 * PT,
        );
    }
    lay.ensure(TOTAL_ROW * 3 + 10 * PT);
    lay.rule(LABEL_R - LABEL_W, RIGHT, lay.y + 2 * PT, 750, 120);
    lay.y += 3 * PT;
    total_row(
        &mut lay,
        "Total".into(),
        inv.total_minor,
        Style::Bold,
        10 * PT,
    );
    total_row(
        &mut lay,
        "Paid".into(),
        inv.paid_minor,
        Style::Normal,
        10 * PT,
    );
    lay.page.push(Op::Band {
        x: LABEL_R - LABEL_W,
        y: lay.y + 2 * PT,
        w: RIGHT - (LABEL_R - LABEL_W),
        h: 19 * PT,
        gray: 236,
    });
    lay.y += 3 * PT;
    total_row(
        &mut lay,
        "Amount due".into(),
        inv.due_minor,
        Style::Bold,
        11 * PT,
    );

    // Notes.
    if let Some(notes) = inv.notes.filter(|n| !n.trim().is_empty()) {
        let notes = clean(notes, 50_000, true);
        lay.y += 16 * PT;
        lay.ensure(14 * PT + BODY_LEAD);
        lay.text(LEFT, lay.y + 10 * PT, 10 * PT, "Notes".into(), Style::Bold);
        lay.y += 16 * PT;
        let mut budget = MAX_NOTE_LINES;
        for para in notes.split('\n') {
            if budget == 0 {
                break;
            }
            if para.trim().is_empty() {
                lay.y += 6 * PT;
                continue;
            }
            let lines = fm.wrap(para, BODY_SIZE, CONTENT_W, budget);
            budget = budget.saturating_sub(lines.len());
            for text in lines {
                lay.ensure(BODY_LEAD);
                lay.text(LEFT, lay.y + 9 * PT, BODY_SIZE, text, Style::Normal);
                lay.y += BODY_LEAD;
            }
        }
    }

    // Payment link.
    if let Some(url) = inv.pay_url.map(|u| clean(u, 2000, false)) {
        let url = url.trim().to_owned();
        if !url.is_empty() {
            lay.y += 14 * PT;
            lay.ensure(16 * PT + BODY_LEAD);
            lay.text(
                LEFT,
                lay.y + 10 * PT,
                10 * PT,
                "Pay online".into(),
                Style::Bold,
            );
            lay.y += 16 * PT;
            let lower = url.to_ascii_lowercase();
            let clickable = (lower.starts_with("https://") || lower.starts_with("http://"))
                && !url.contains(char::is_whitespace);
            for text in fm.wrap(&url, BODY_SIZE, CONTENT_W, 6) {
                lay.ensure(BODY_LEAD);
                let w = fm.width(&text, BODY_SIZE);
                if clickable {
                    lay.page.push(Op::Link {
                        x: LEFT,
                        y: lay.y,
                        w,
                        h: BODY_LEAD,
                        uri: url.clone(),
                        label: "Pay online".into(),
                    });
                }
                lay.text(LEFT, lay.y + 9 * PT, BODY_SIZE, text, Style::Link);
                lay.y += BODY_LEAD;
            }
        }
    }

    // Footers, now that the page count is known.
    let footer_left = format!(
        "{} {}",
        lay.title,
        lay.number.clone().unwrap_or_else(|| "DRAFT".into())
    );
    let footer_left = fm.ellipsize(&footer_left, 8_500, 300 * PT);
    let mut pages = lay.finish();
    let total = pages.len();
    for (i, ops) in pages.iter_mut().enumerate() {
        ops.push(Op::Rule {
            x1: LEFT,
            x2: RIGHT,
            y: FOOTER_Y - 13 * PT,
            width: 500,
            gray: 200,
        });
        ops.push(Op::Text {
            x: LEFT,
            y: FOOTER_Y,
            size: 8_500,
            text: footer_left.clone(),
            style: Style::Muted,
        });
        let text = format!("Page {} of {}", i + 1, total);
        let w = fm.width(&text, 8_500);
        ops.push(Op::Text {
            x: RIGHT - w,
            y: FOOTER_Y,
            size: 8_500,
            text,
            style: Style::Muted,
        });
    }
    pages
}
