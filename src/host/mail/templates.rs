//! Plain-text and HTML bodies of the messages Flightline sends.

use super::Email;

/// Which one-time link a message carries (API.md §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    PasswordReset,
    VerifyEmail,
    Invitation,
    /// Someone registered (`POST /api/v1/auth/register`) with an address that already has an
    /// account: told so, with a password-reset link (the token is a reset token).
    AccountExists,
}

/// A link to the console carrying a one-time token.
pub struct Link<'a> {
    pub kind: LinkKind,
    pub public_url: &'a str,
    pub tenant_slug: &'a str,
    pub tenant_name: &'a str,
    pub token: &'a str,
}

/// Escapes text for an HTML body.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

impl Link<'_> {
    pub fn url(&self) -> String {
        let page = match self.kind {
            LinkKind::PasswordReset | LinkKind::AccountExists => "reset-password",
            LinkKind::VerifyEmail => "verify-email",
            LinkKind::Invitation => "set-password",
        };
        format!(
            "{}/{page}?tenant={}&token={}",
            self.public_url, self.tenant_slug, self.token
        )
    }

    /// The message for `to`, addressed by `name`.
    pub fn email(&self, to: &str, name: &str) -> Email {
        let url = self.url();
        let org = self.tenant_name;
        let (subject, intro, action, validity) = match self.kind {
            LinkKind::PasswordReset => (
                format!("Reset your {org} password"),
                "Someone asked to reset the password of your account. If it was not you, ignore this message: nothing changes.".to_owned(),
                "Choose a new password",
                "The link works once, within one hour.",
            ),
            LinkKind::VerifyEmail => (
                format!("Confirm your e-mail address for {org}"),
                "Please confirm that this address belongs to you.".to_owned(),
                "Confirm my address",
                "The link works once, within 48 hours.",
            ),
            LinkKind::Invitation => (
                format!("You are invited to {org} on Flightline"),
                format!("An administrator of {org} created an account for you."),
                "Set my password",
                "The link works once, within 7 days.",
            ),
            LinkKind::AccountExists => (
                format!("You already have an account at {org}"),
                format!(
                    "Someone, perhaps you, tried to register at {org} with this address, which already has an account. No second account was made. If it was not you, ignore this message: nothing changes."
                ),
                "Forgot your password? Choose a new one",
                "The link works once, within one hour.",
            ),
        };
        let text =
            format!("Hello {name},\n\n{intro}\n\n{action}: {url}\n\n{validity}\n\n-- Flightline\n");
        let html = format!(
            "<!doctype html><html><body style=\"font-family:sans-serif\">\
             <p>Hello {name},</p><p>{intro}</p>\
             <p><a href=\"{url}\">{action}</a></p><p>{validity}</p><p>&mdash; Flightline</p>\
             </body></html>",
            name = escape(name),
            intro = escape(&intro),
            url = escape(&url),
            action = escape(action),
            validity = escape(validity),
        );
        Email {
            to: to.to_owned(),
            subject,
            text,
            html,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_and_escaping() {
        let link = Link {
            kind: LinkKind::Invitation,
            public_url: "https://app.example",
            tenant_slug: "alpine",
            tenant_name: "Alpine <Flight>",
            token: "abc",
        };
        assert_eq!(
            link.url(),
            "https://app.example/set-password?tenant=alpine&token=abc"
        );
        let e = link.email("a@b.c", "<script>");
        assert!(e.html.contains("&lt;script&gt;") && !e.html.contains("<script>"));
        assert!(
            e.text
                .contains("https://app.example/set-password?tenant=alpine&token=abc")
        );
    }
}
