//! Finance: customer accounts, tax rates and the price list, invoices and credit notes, payments
//! and refunds, all posted to a double-entry ledger; statements and reports read the ledger.
//!
//! Money is `i64` minor units of an ISO 4217 currency and quantities are thousandths; the
//! arithmetic (rounding half away from zero, inclusive and exclusive taxes) is in [`money`],
//! pure and tested at its boundaries. Every balance shown is a sum of ledger lines
//! ([`ledger`]); ledger rows are never updated or deleted (database triggers), and each ledger
//! transaction balances per currency when it commits (a deferred constraint trigger).
//!
//! Other domains charge through [`service`]: "charge this customer these lines for this source"
//! (a checked-in booking today; a charter trip or a fuel order later). See docs/finance.md.

mod accounts;
mod documents;
mod dto;
mod invoices;
pub mod ledger;
pub mod money;
mod payments;
pub mod pdf;
mod prices;
mod reports;
pub mod service;
pub mod stripe;
mod stripe_events;

use poem_openapi::Tags;

use crate::kernel::manifest::{ALL_KINDS, Flag, Manifest, Permission};
use crate::kernel::roles::{charter, fbo, school};

/// The OpenAPI tags of this domain.
#[derive(Tags)]
pub enum Tag {
    /// Customer accounts, their balances and statements.
    FinanceAccounts,
    /// Tax rates and the price list.
    FinancePrices,
    /// Invoices and credit notes.
    FinanceInvoices,
    /// Payments and refunds.
    FinancePayments,
    /// Card payments through the organisation's own Stripe account (Stripe Connect).
    FinanceStripe,
    /// Revenue, utilisation, instructor hours, receivables ageing and the trial balance.
    FinanceReports,
}

pub type Apis = (
    accounts::AccountsApi,
    (
        prices::PricesApi,
        (
            (invoices::InvoicesApi, documents::InvoiceDocumentsApi),
            (
                payments::PaymentsApi,
                (reports::ReportsApi, stripe::StripeApi),
            ),
        ),
    ),
);

pub fn apis() -> Apis {
    (
        accounts::AccountsApi,
        (
            prices::PricesApi,
            (
                (invoices::InvoicesApi, documents::InvoiceDocumentsApi),
                (
                    payments::PaymentsApi,
                    (reports::ReportsApi, stripe::StripeApi),
                ),
            ),
        ),
    )
}

/// The feature flag of this domain.
pub const FLAG: &str = "finance";

pub const MANIFEST: Manifest = Manifest {
    name: "finance",
    prefixes: &["/api/v1/finance"],
    flags: &[Flag {
        key: FLAG,
        description: "Accounts, invoices and payments",
        prefix: "/api/v1/finance",
        on_for: ALL_KINDS,
    }],
    permissions: &[FINANCE_READ, FINANCE_MANAGE],
    attachments: &[],
    feeds: &[],
    links: &[documents::INVOICE_LINK],
    jobs: &[],
    limits: &[],
    payment_events: &[stripe_events::PAYMENT_EVENTS],
    reference: &[],
    shared_jobs: &[],
};

/// View accounts, invoices and payments.
pub const FINANCE_READ: Permission = Permission::new(
    "finance.read",
    "View accounts, invoices and payments",
    &[
        school::ORGANIZATION_ADMIN,
        school::STAFF,
        charter::FINANCE,
        fbo::FRONT_DESK,
    ],
);
/// Issue invoices, record payments and prices.
pub const FINANCE_MANAGE: Permission = Permission::new(
    "finance.manage",
    "Issue invoices, record payments and prices",
    &[
        school::ORGANIZATION_ADMIN,
        school::STAFF,
        charter::FINANCE,
        fbo::FRONT_DESK,
    ],
);
