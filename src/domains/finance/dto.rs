//! Request and response objects of the finance domain (they are the OpenAPI schema). Money is
//! integer minor units of `currency` (ISO 4217); quantities are thousandths of their `unit`
//! (`quantity_milli`: 1.3 hours = 1300); tax rates are parts per million (7.5 % = 75000).

use chrono::{DateTime, NaiveDate, Utc};
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{Enum, Object};
use uuid::Uuid;

use crate::domains::contacts::service::FuelProduct;
use crate::kernel::{AircraftId, UserId};

/// Who an account bills.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    Person,
    Organization,
}

/// The revenue category a sale books to (`discount` lines are negative).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename = "FinanceCategory", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Aircraft,
    Instructor,
    Simulator,
    Fee,
    Fuel,
    Charter,
    Handling,
    Membership,
    Discount,
    Other,
}

/// What a quantity counts.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Hours on the hobbs meter.
    HobbsHour,
    /// Hours on the tach meter.
    TachHour,
    /// Hours from check-out to check-in.
    BlockHour,
    Hour,
    Each,
    Gallon,
    Liter,
    Day,
}

/// When a price item adds itself to an invoice.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum AppliesAt {
    /// To the invoice drafted when a booking is checked in (a landing fee, a fuel surcharge
    /// per hour).
    CheckIn,
    /// When a booking is cancelled late (scheduling's late flag).
    LateCancellation,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum InvoiceKind {
    Invoice,
    CreditNote,
}

/// `draft` (editable, no number) → `issued` → `partly_paid` / `paid`; `void` from a draft or
/// from an issued invoice nothing was paid or credited on. A credit note is `issued` once made.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatus {
    Draft,
    Issued,
    PartlyPaid,
    Paid,
    Void,
}

/// How money was received. `card` payments come only through Stripe Checkout.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    Cash,
    Cheque,
    BankTransfer,
    Card,
    Other,
}

text_enum!(
    AccountKind,
    Category,
    Unit,
    AppliesAt,
    InvoiceKind,
    InvoiceStatus,
    PaymentMethod
);

/// A customer account with its position, summed from the ledger.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct Account {
    pub id: Uuid,
    pub kind: AccountKind,
    pub name: String,
    pub email: Option<String>,
    /// The user this account bills, if it is one of the tenant's users.
    pub user_id: Option<UserId>,
    pub currency: String,
    /// How far `balance_minor` may fall below zero before dispatch's balance rule speaks.
    pub credit_limit_minor: i64,
    /// Days from issue to due date of this account's invoices (0: due on receipt).
    pub payment_terms_days: i32,
    /// Price items of this tier win over untiered ones (membership prices).
    pub price_tier: Option<String>,
    pub notes: Option<String>,
    pub archived_at: Option<DateTime<Utc>>,
    /// Open invoices: the sum of the account's receivables lines.
    pub receivable_minor: i64,
    /// Prepaid money not yet drawn down: the account's deposits lines.
    pub deposit_minor: i64,
    /// `deposit_minor - receivable_minor`: positive is credit, negative is owed.
    pub balance_minor: i64,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Object, Debug)]
pub struct AccountCreate {
    pub kind: AccountKind,
    #[oai(validator(min_length = 1, max_length = 200))]
    pub name: String,
    #[oai(validator(max_length = 254))]
    pub email: Option<String>,
    /// Bill one of the tenant's users (at most one account per user).
    pub user_id: Option<UserId>,
    /// ISO 4217; default the tenant's `currency` setting (USD when unset).
    #[oai(validator(pattern = "^[A-Z]{3}$"))]
    pub currency: Option<String>,
    #[oai(validator(minimum(value = "0"), maximum(value = "100000000000")))]
    pub credit_limit_minor: Option<i64>,
    #[oai(validator(minimum(value = "0"), maximum(value = "365")))]
    pub payment_terms_days: Option<i32>,
    #[oai(validator(pattern = "^[a-z][a-z0-9_-]{0,39}$"))]
    pub price_tier: Option<String>,
    #[oai(validator(max_length = 10000))]
    pub notes: Option<String>,
}

#[derive(Object, Debug)]
pub struct AccountUpdate {
    #[oai(validator(min_length = 1, max_length = 200))]
    pub name: Option<String>,
    #[oai(validator(max_length = 254))]
    pub email: MaybeUndefined<String>,
    #[oai(validator(minimum(value = "0"), maximum(value = "100000000000")))]
    pub credit_limit_minor: Option<i64>,
    #[oai(validator(minimum(value = "0"), maximum(value = "365")))]
    pub payment_terms_days: Option<i32>,
    #[oai(validator(pattern = "^[a-z][a-z0-9_-]{0,39}$"))]
    pub price_tier: MaybeUndefined<String>,
    #[oai(validator(max_length = 10000))]
    pub notes: MaybeUndefined<String>,
    /// Archive (no new invoices) or restore the account.
    pub archived: Option<bool>,
    /// The version read; a concurrent change answers `409 version-conflict`.
    pub version: Option<i32>,
}

#[derive(Object)]
pub struct AccountPage {
    pub items: Vec<Account>,
    pub next_cursor: Option<String>,
}

/// One transaction on a customer's statement.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct StatementEntry {
    pub transaction_id: Uuid,
    pub at: DateTime<Utc>,
    /// `invoice_issued`, `invoice_voided`, `credit_note_issued`, `payment_received`,
    /// `deposit_applied`, `deposit_unapplied`, `refund_paid`.
    pub kind: String,
    pub memo: String,
    pub invoice_id: Option<Uuid>,
    pub invoice_number: Option<String>,
    pub payment_id: Option<Uuid>,
    /// What it changed in what the customer owes: a charge is positive, a payment negative.
    pub amount_minor: i64,
    /// What the customer owes after it (negative: in credit).
    pub owed_minor: i64,
}

/// A customer's statement over `[from, to]` (local days of the tenant's time zone).
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct Statement {
    pub account_id: Uuid,
    pub account_name: String,
    pub currency: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Owed before `from` (negative: in credit).
    pub opening_owed_minor: i64,
    /// Owed at the end of `to`.
    pub closing_owed_minor: i64,
    pub entries: Vec<StatementEntry>,
}

#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct TaxRate {
    pub id: Uuid,
    pub name: String,
    /// Parts per million: 7.5 % is 75000.
    pub rate_ppm: i64,
    /// The price contains the tax (VAT) rather than having it added on top (sales tax).
    pub inclusive: bool,
    pub active: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Object, Debug)]
pub struct TaxRateCreate {
    #[oai(validator(min_length = 1, max_length = 100))]
    pub name: String,
    #[oai(validator(minimum(value = "0"), maximum(value = "1000000")))]
    pub rate_ppm: i64,
    pub inclusive: Option<bool>,
}

/// Issued lines keep the name and rate they were written with.
#[derive(Object, Debug)]
pub struct TaxRateUpdate {
    #[oai(validator(min_length = 1, max_length = 100))]
    pub name: Option<String>,
    #[oai(validator(minimum(value = "0"), maximum(value = "1000000")))]
    pub rate_ppm: Option<i64>,
    pub inclusive: Option<bool>,
    pub active: Option<bool>,
    pub version: Option<i32>,
}

#[derive(Object)]
pub struct TaxRatePage {
    pub items: Vec<TaxRate>,
    pub next_cursor: Option<String>,
}

/// An entry of the price list.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct PriceItem {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub category: Category,
    pub unit: Unit,
    /// Per unit; negative only for `discount`.
    pub unit_price_minor: i64,
    pub currency: String,
    /// An aircraft rate's aircraft (none: any aircraft, for fees).
    pub aircraft_id: Option<AircraftId>,
    /// An instructor rate's instructor (none: the default instructor rate).
    pub instructor_id: Option<UserId>,
    /// An aircraft rate with fuel (`true`) or without (`false`).
    pub wet: Option<bool>,
    /// The fuel a `fuel` price per `gallon` or `liter` sells: FBO fuel orders are billed at it
    /// (the customer's tier first, then the untiered price).
    pub fuel_product: Option<FuelProduct>,
    pub price_tier: Option<String>,
    pub applies_at: Option<AppliesAt>,
    pub tax_rate_ids: Vec<Uuid>,
    pub active: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Object, Debug)]
pub struct PriceItemCreate {
    #[oai(validator(pattern = "^[a-z0-9][a-z0-9_.-]{0,39}$"))]
    pub code: String,
    #[oai(validator(min_length = 1, max_length = 200))]
    pub name: String,
    pub category: Category,
    pub unit: Unit,
    #[oai(validator(minimum(value = "-10000000000"), maximum(value = "10000000000")))]
    pub unit_price_minor: i64,
    /// Default the tenant's `currency` setting.
    #[oai(validator(pattern = "^[A-Z]{3}$"))]
    pub currency: Option<String>,
    pub aircraft_id: Option<AircraftId>,
    pub instructor_id: Option<UserId>,
    pub wet: Option<bool>,
    /// The fuel this price sells; only with category `fuel` and unit `gallon` or `liter`
    /// (kept for the item's life, like its category).
    pub fuel_product: Option<FuelProduct>,
    #[oai(validator(pattern = "^[a-z][a-z0-9_-]{0,39}$"))]
    pub price_tier: Option<String>,
    pub applies_at: Option<AppliesAt>,
    #[oai(validator(max_items = 5, unique_items))]
    pub tax_rate_ids: Option<Vec<Uuid>>,
}

#[derive(Object, Debug)]
pub struct PriceItemUpdate {
    #[oai(validator(min_length = 1, max_length = 200))]
    pub name: Option<String>,
    #[oai(validator(minimum(value = "-10000000000"), maximum(value = "10000000000")))]
    pub unit_price_minor: Option<i64>,
    pub wet: MaybeUndefined<bool>,
    #[oai(validator(pattern = "^[a-z][a-z0-9_-]{0,39}$"))]
    pub price_tier: MaybeUndefined<String>,
    pub applies_at: MaybeUndefined<AppliesAt>,
    #[oai(validator(max_items = 5, unique_items))]
    pub tax_rate_ids: Option<Vec<Uuid>>,
    pub active: Option<bool>,
    pub version: Option<i32>,
}

#[derive(Object)]
pub struct PriceItemPage {
    pub items: Vec<PriceItem>,
    pub next_cursor: Option<String>,
}

/// One tax of a line, as written.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct LineTax {
    pub tax_rate_id: Uuid,
    pub name: String,
    pub rate_ppm: i64,
    pub inclusive: bool,
    pub amount_minor: i64,
}

#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct InvoiceLine {
    pub id: Uuid,
    pub line_no: i32,
    pub description: String,
    pub category: Category,
    pub unit: Unit,
    pub quantity_milli: i64,
    pub unit_price_minor: i64,
    /// `quantity × unit price`, rounded.
    pub amount_minor: i64,
    /// The amount without inclusive taxes.
    pub net_minor: i64,
    pub tax_minor: i64,
    /// `net + tax`: what the line adds to the invoice's total.
    pub total_minor: i64,
    pub price_item_id: Option<Uuid>,
    pub aircraft_id: Option<AircraftId>,
    pub instructor_id: Option<UserId>,
    /// On a credit note: the invoice line it credits.
    pub credits_line_id: Option<Uuid>,
    pub taxes: Vec<LineTax>,
}

/// The invoice's taxes summed per rate.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct TaxTotal {
    pub tax_rate_id: Uuid,
    pub name: String,
    pub rate_ppm: i64,
    pub inclusive: bool,
    pub amount_minor: i64,
}

/// An invoice or credit note. `due_minor`, `paid_minor` and `credited_minor` are sums of the
/// ledger's lines for it.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct Invoice {
    pub id: Uuid,
    pub kind: InvoiceKind,
    /// `<prefix><year>-<number>` from the `invoice_numbering` setting; none while a draft.
    pub number: Option<String>,
    pub status: InvoiceStatus,
    pub account_id: Uuid,
    pub account_name: String,
    /// On a credit note: the invoice it credits.
    pub credited_invoice_id: Option<Uuid>,
    pub currency: String,
    /// The lines' net amounts.
    pub subtotal_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    /// Still to pay.
    pub due_minor: i64,
    /// Settled by payments (deposits drawn down), less what refunds reopened.
    pub paid_minor: i64,
    /// Taken off by credit notes.
    pub credited_minor: i64,
    /// What it charges for, when another module drafted it (`booking`, ...).
    pub source_type: Option<String>,
    pub source_id: Option<Uuid>,
    pub issue_date: Option<NaiveDate>,
    pub due_date: Option<NaiveDate>,
    pub issued_at: Option<DateTime<Utc>>,
    pub voided_at: Option<DateTime<Utc>>,
    pub void_reason: Option<String>,
    pub notes: Option<String>,
    pub lines: Vec<InvoiceLine>,
    pub taxes: Vec<TaxTotal>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Object)]
pub struct InvoicePage {
    /// Each without `lines` and `taxes` (empty lists); get one for them.
    pub items: Vec<Invoice>,
    pub next_cursor: Option<String>,
}

/// A line to write: from a price item (its fields are the defaults) or written out.
#[derive(Object, Debug, Clone, serde::Serialize)]
pub struct LineInput {
    /// Take description, category, unit, price, taxes, aircraft and instructor from this
    /// price item; fields given here win.
    pub price_item_id: Option<Uuid>,
    #[oai(validator(min_length = 1, max_length = 500))]
    pub description: Option<String>,
    pub category: Option<Category>,
    pub unit: Option<Unit>,
    #[oai(validator(minimum(value = "-10000000000"), maximum(value = "10000000000")))]
    pub unit_price_minor: Option<i64>,
    /// Thousandths of the unit: 1.3 hours is 1300.
    #[oai(validator(minimum(value = "1"), maximum(value = "100000000")))]
    pub quantity_milli: i64,
    /// The taxes of the line (default the price item's; none without one).
    #[oai(validator(max_items = 5, unique_items))]
    pub tax_rate_ids: Option<Vec<Uuid>>,
    pub aircraft_id: Option<AircraftId>,
    pub instructor_id: Option<UserId>,
}

#[derive(Object, Debug, serde::Serialize)]
pub struct InvoiceCreate {
    pub account_id: Uuid,
    #[oai(validator(min_items = 1, max_items = 200))]
    pub lines: Vec<LineInput>,
    /// Default: the issue date plus the account's payment terms.
    pub due_date: Option<NaiveDate>,
    #[oai(validator(max_length = 10000))]
    pub notes: Option<String>,
}

/// Only a draft changes. `lines` replaces every line.
#[derive(Object, Debug)]
pub struct InvoiceUpdate {
    #[oai(validator(min_items = 1, max_items = 200))]
    pub lines: Option<Vec<LineInput>>,
    pub due_date: MaybeUndefined<NaiveDate>,
    #[oai(validator(max_length = 10000))]
    pub notes: MaybeUndefined<String>,
    pub version: Option<i32>,
}

#[derive(Object, Debug)]
pub struct InvoiceVoid {
    #[oai(validator(min_length = 1, max_length = 1000))]
    pub reason: String,
}

#[derive(Object, Debug, Clone)]
pub struct CreditLineInput {
    /// A line of the invoice being credited.
    pub line_id: Uuid,
    /// How much of it to credit (at most what is not credited yet).
    #[oai(validator(minimum(value = "1"), maximum(value = "100000000")))]
    pub quantity_milli: i64,
}

#[derive(Object, Debug)]
pub struct CreditNoteCreate {
    #[oai(validator(min_length = 1, max_length = 1000))]
    pub reason: String,
    /// Lines to credit; none credits everything not credited yet.
    #[oai(validator(min_items = 1, max_items = 200))]
    pub lines: Option<Vec<CreditLineInput>>,
}

#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct Refund {
    pub id: Uuid,
    pub payment_id: Uuid,
    pub amount_minor: i64,
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Money received. It goes to the account's deposit and is drawn down by its open invoices,
/// `invoice_id` first, then the oldest due.
#[derive(Object, Clone, Debug, serde::Serialize)]
pub struct Payment {
    pub id: Uuid,
    pub account_id: Uuid,
    pub method: PaymentMethod,
    pub amount_minor: i64,
    pub currency: String,
    pub received_on: NaiveDate,
    pub reference: Option<String>,
    pub notes: Option<String>,
    pub invoice_id: Option<Uuid>,
    pub refunded_minor: i64,
    pub refunds: Vec<Refund>,
    pub created_at: DateTime<Utc>,
}

#[derive(Object, Debug, serde::Serialize)]
pub struct PaymentCreate {
    pub account_id: Uuid,
    /// `cash`, `cheque`, `bank_transfer` or `other` (cards pay through Stripe Checkout).
    pub method: PaymentMethod,
    #[oai(validator(minimum(value = "1"), maximum(value = "100000000000")))]
    pub amount_minor: i64,
    /// Must be the account's currency (default).
    #[oai(validator(pattern = "^[A-Z]{3}$"))]
    pub currency: Option<String>,
    /// Default today in the tenant's time zone.
    pub received_on: Option<NaiveDate>,
    #[oai(validator(max_length = 200))]
    pub reference: Option<String>,
    #[oai(validator(max_length = 10000))]
    pub notes: Option<String>,
    /// The invoice it pays first.
    pub invoice_id: Option<Uuid>,
}

#[derive(Object)]
pub struct PaymentPage {
    pub items: Vec<Payment>,
    pub next_cursor: Option<String>,
}

#[derive(Object, Debug)]
pub struct RefundCreate {
    #[oai(validator(minimum(value = "1"), maximum(value = "100000000000")))]
    pub amount_minor: i64,
    #[oai(validator(max_length = 1000))]
    pub reason: Option<String>,
}
