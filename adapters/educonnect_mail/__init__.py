"""Mail adapter: C02/C04/C06/C07 e-mails, an SMTP mailer and a file (.eml) outbox."""
