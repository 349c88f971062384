/*
 * test_bounce.c - unit tests for policy/retpath/bounce.c, bounce_text.c, mime.c
 * and bouncerules.c over the corpus in tests/bounce/corpus, classified by
 * contrib/bounce-rules.
 *
 * A table gives, for every corpus message, the type, whether the token is
 * found, the returned message's Message-ID, the feedback type and each
 * recipient as "address status action class".  Every message is also
 * parsed from every truncation of itself (a result, never a crash: run
 * under ASan/UBSan by contrib/test.sh) and fed through BOUNCE_BUF split
 * at every chunk boundary (which must keep the same octets) and in
 * 1-octet chunks (parsed: the same result as the whole).  A table of rule lines checks the rules' errors;
 * MIME helpers are checked on their own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "retpath/bounce.h"
#include "retpath/bouncerules.h"
#include "retpath/mime.h"
#include "tap.h"

#define TOKEN "016b1d0f8a0123456789abcdef0123456789abcdef0123"

static const struct {
	const char	*file, *type;
	int		 token;
	const char	*message_id, *feedback, *rcpts;
} corpus[] = {
	{ "postfix-dsn-5.1.1", "dsn", 1, "<hello.1@example.com>", "",
	    "nobody@example.org 5.1.1 failed user-unknown hard" },
	{ "postfix-dsn-delayed", "dsn", 1, "", "",
	    "slow@example.org 4.4.1 delayed system-error soft" },
	{ "postfix-dsn-two-rcpts", "dsn", 1, "", "",
	    "full@example.org 5.2.2 failed mailbox-full quota|"
	    "blocked@example.net 5.7.1 failed blocked policy" },
	{ "exim-dsn", "dsn", 1, "<hello.1@example.com>", "",
	    "gone@example.net 5.1.1 failed user-unknown hard" },
	{ "sendmail-dsn", "dsn", 1, "<hello.1@example.com>", "",
	    "nouser@example.org 5.1.1 failed user-unknown hard" },
	{ "exchange-dsn", "dsn", 1, "<hello.1@example.com>", "",
	    "bob@contoso.example 5.1.10 failed user-unknown hard" },
	{ "dsn-base64-status", "dsn", 1, "", "",
	    "nomail@example.com 5.1.10 failed host-unknown hard" },
	{ "dsn-mixed-wrapper", "dsn", 1, "", "",
	    "wrapped@example.net 5.2.1 failed mailbox-disabled hard" },
	{ "dsn-relayed-only", "not-bounce", 1, "", "", "" },
	{ "qmail", "nondsn", 1, "", "",
	    "nosuch@example.net 5.1.1 failed user-unknown hard" },
	{ "yahoo-plain", "nondsn", 1, "", "",
	    "missing@yahoo.example 5.0.0 failed user-unknown hard" },
	{ "postfix-plain-quota", "nondsn", 1, "", "",
	    "full@example.org 4.2.2 delayed mailbox-full quota" },
	{ "arf-abuse", "arf", 1, "<hello.1@example.com>", "abuse",
	    "complainer@isp.example  complaint complaint complaint" },
	{ "arf-no-rcpt", "arf", 1, "<spam.2@example.com>", "abuse",
	    "victim@isp.example  complaint complaint complaint" },
	{ "autoreply-ooo", "auto-reply", 1, "", "",
	    "carol@example.org  auto-replied auto-reply auto-reply" },
	{ "autoreply-subject-only", "auto-reply", 1, "", "",
	    "dave@example.org  auto-replied auto-reply auto-reply" },
	{ "personal-reply", "not-bounce", 1, "", "", "" },
	{ "broken-no-closing-boundary", "dsn", 1, "", "",
	    "cut@example.org 5.1.1 failed user-unknown hard" },
	{ "broken-wrong-boundary", "dsn", 1, "", "",
	    "lost@example.org 5.1.1 failed user-unknown hard" },
	{ "encoded-words-8bit", "dsn", 1, "", "",
	    "absent@example.fr 5.1.1 failed user-unknown hard" },
	{ "no-token", "dsn", 0, "", "",
	    "x@example.org 5.1.1 failed user-unknown hard" },
	{ "sendmail-v5-transcript", "nondsn", 1, "", "",
	    "ghost@example.org 5.0.0 failed user-unknown hard|"
	    "far@example.net 5.0.0 failed host-unknown hard" },
	{ "gmail-failed-header", "nondsn", 1, "", "",
	    "nobody.here@gmail.example 5.0.0 failed user-unknown hard" },
	{ "notes-lone-address", "nondsn", 1, "", "",
	    "away@notes.example.co.jp 5.0.0 failed user-unknown hard" },
	{ "carrier-worded", "nondsn", 1, "", "",
	    "phone.full@carrier.example.jp 5.0.0 failed mailbox-full quota" },
	{ "html-only", "nondsn", 1, "", "",
	    "sleeper@portal.example 5.2.1 failed mailbox-disabled hard" },
	{ "arf-several-rcpts", "arf", 1, "<bulk.7@example.com>", "abuse",
	    "one@isp.example  complaint complaint complaint|"
	    "two@isp.example  complaint complaint complaint|"
	    "three@isp.example  complaint complaint complaint" },
	{ "wrapped-reply-code", "dsn", 1, "", "",
	    "stuffed@example.org 5.2.2 failed mailbox-full quota|"
	    "filtered-inbox@example.net 5.1.1 failed user-unknown hard" },
	{ "postfix-rcpt-rejected-policy", "dsn", 1, "", "",
	    "guarded@example.org 5.7.1 failed policy-other policy|"
	    "listed@example.org 5.7.1 failed blocked policy|"
	    "spf@example.org 5.7.23 failed authentication policy" },
	{ "groups-signature-only", "nondsn", 1, "", "",
	    "team-list@googlegroups.example 5.0.0 failed policy-other policy" },
	{ "autoreply-es-respuesta", "auto-reply", 1, "", "",
	    "sofia.ruiz@example.es  auto-replied auto-reply auto-reply" },
	{ "autoreply-pt-resposta", "auto-reply", 1, "", "",
	    "joana.silva@example.pt  auto-replied auto-reply auto-reply" },
	{ "postfix-expired-timeout", "dsn", 1, "<pf.expired.4@example.com>", "",
	    "ops@slowhost.example.net 4.4.1 failed expired soft" },
	{ "postfix-greylisted-delayed", "dsn", 1, "<pf.grey.6@example.com>", "",
	    "maria@grey.example.org 4.2.0 delayed system-error soft" },
	{ "sendmail-dsn-expired", "dsn", 1, "<sm.expired.2@example.com>", "",
	    "rob@dead-mx.example.org 4.4.1 failed expired soft" },
	{ "sendmail-dsn-warning-4h", "dsn", 1, "<sm.warn.3@example.com>", "",
	    "lee@busy.example.net 4.4.1 delayed system-error soft" },
	{ "exim-retry-timeout", "dsn", 1, "<ex.retry.2@example.com>", "",
	    "tom@unreachable.example.net 5.0.0 failed expired soft" },
	{ "exim-local-quota", "dsn", 1, "<ex.quota.4@example.com>", "",
	    "saved.everything@example.org 5.0.0 failed mailbox-full quota" },
	{ "exim-unrouteable", "dsn", 1, "<ex.unroute.5@example.com>", "",
	    "bill@typo-domain.example 5.0.0 failed host-unknown hard" },
	{ "exchange2013-delayed", "dsn", 1, "<x13.delay.1@example.com>", "",
	    "quinn@partner.example.net 4.4.7 delayed system-error soft" },
	{ "gmail-550-5.7.1-unsolicited", "dsn", 1, "<gm.571.2@example.com>", "",
	    "carl@gmail.example 5.7.1 failed spam-content policy" },
	{ "workspace-dsn-security-issue", "dsn", 1, "<gw.sec.4@example.com>", "",
	    "jack@example.org 5.7.0 failed virus policy" },
	{ "aol-rtr-dynamic", "dsn", 1, "<ao.rtr.2@example.com>", "",
	    "sid@aol.example 5.0.0 failed blocked policy" },
	{ "icloud-cs01-policy", "dsn", 1, "<ic.cs01.1@example.com>", "",
	    "umar@icloud.example 5.7.1 failed policy-other policy" },
	{ "icloud-hm08-rate", "dsn", 1, "<ic.hm08.4@example.com>", "",
	    "xia@icloud.example 4.7.1 delayed policy-other policy" },
	{ "domino-dsn-quota", "dsn", 1, "<dm.quota.2@example.com>", "",
	    "oka.r@lotus.example.co.jp 5.0.0 failed mailbox-full quota" },
	{ "messagelabs-pbl-listed", "dsn", 1, "<ml.pbl.1@example.com>", "",
	    "rafa@symcloud.example.org 5.0.0 failed blocked policy" },
	{ "proofpoint-message-rejected-spam", "dsn", 1, "<pp.spam.2@example.com>", "",
	    "anya@ppcust.example 5.7.1 failed spam-content policy" },
	{ "amavis-banned-attachment", "dsn", 1, "<am.banned.3@example.com>", "",
	    "finn.o@example.org 5.7.0 failed virus policy" },
	{ "autoreply-de-abwesenheit", "auto-reply", 1, "", "",
	    "paula.meier@example.de  auto-replied auto-reply auto-reply" },
	{ "autoreply-nl-afwezig", "auto-reply", 1, "", "",
	    "tom.devries@example.nl  auto-replied auto-reply auto-reply" },
	{ "autoreply-notes-out-of-office", "auto-reply", 1, "", "",
	    "victor.hale@notes.example.com  auto-replied auto-reply auto-reply" },
	{ "o365-5.7.708-traffic-not-accepted", "dsn", 1, "<o3.708.9@example.com>", "",
	    "edna@contoso.example 5.7.708 failed blocked policy" },
	{ "tonline-ip-bl", "dsn", 1, "<to.bl.1@example.com>", "",
	    "hans@t-online.example.de 5.0.0 failed blocked policy" },
	{ "qqmail-content-denied", "dsn", 1, "<qq.content.1@example.com>", "",
	    "1234567@qq.example.com 5.0.0 failed spam-content policy" },
	{ "exchange-auth-required-group", "dsn", 1, "<x.authreq.2@example.com>", "",
	    "all-staff@corp.example 5.7.1 failed policy-other policy" },
	{ "exchange-5.4.316-expired-refused", "dsn", 1, "<x.exp.5@example.com>", "",
	    "rena@closed-port.example.net 5.4.316 failed expired soft" },
	{ "qmail-queue-too-long", "nondsn", 1, "", "",
	    "sven@dark-mx.example.org 4.4.1 failed expired soft" },
	{ "qmail-sender-rejected", "nondsn", 1, "", "",
	    "tove@example.org 5.7.1 failed policy-other policy" },
	{ "workspace-dsn-expired-connect", "dsn", 1, "<gw.exp.5@example.com>", "",
	    "vidar@offline.example.net 4.4.1 failed expired soft" },
	{ "postfix-success-dsn", "not-bounce", 1, "<pf.ok.20@example.com>", "", "" },
	{ "postfix-spamhaus-zen", "dsn", 1, "<pf.zen.1@example.com>", "",
	    "lena.k@example.org 5.7.1 failed blocked policy" },
	{ "postfix-host-not-found", "dsn", 1, "<pf.nxdomain.2@example.com>", "",
	    "ana@nowhere-at-all.example 5.4.4 failed host-unknown hard" },
	{ "postfix-null-mx", "dsn", 1, "<pf.nullmx.3@example.com>", "",
	    "info@parked.example 5.1.10 failed host-unknown hard" },
	{ "postfix-message-too-large", "dsn", 1, "<pf.big.5@example.com>", "",
	    "scans@example.net 5.3.4 failed message-too-large soft" },
	{ "postfix-no-reverse-hostname", "dsn", 1, "<pf.ptr.7@example.com>", "",
	    "desk@strict.example 4.7.1 delayed authentication policy" },
	{ "postfix-relay-denied", "dsn", 1, "<pf.relay.8@example.com>", "",
	    "someone@elsewhere.example.net 5.7.1 failed policy-other "
	    "policy" },
	{ "postfix-lmtp-dovecot-quota", "dsn", 1,
	    "<pf.quota.9@example.com>", "",
	    "kim@example.org 5.2.2 failed mailbox-full quota" },
	{ "postfix-local-unknown-user", "dsn", 1,
	    "<pf.local.10@example.com>", "",
	    "jdoe@example.org 5.1.1 failed user-unknown hard" },
	{ "postfix-spf-fail", "dsn", 1, "<pf.spf.11@example.com>", "",
	    "audit@strictspf.example 5.7.1 failed authentication policy" },
	{ "sendmail-dsn-spamcop", "dsn", 1, "<sm.spamcop.1@example.com>", "",
	    "pat@example.org 5.7.1 failed blocked policy" },
	{ "sendmail-dsn-host-unknown", "dsn", 1, "<sm.host.4@example.com>", "",
	    "sam@no-such-host.example 5.1.2 failed host-unknown hard" },
	{ "sendmail-v5-mailbox-full", "nondsn", 1, "", "",
	    "hoarder@example.org 5.2.2 failed mailbox-full quota" },
	{ "exim-spamcop-listed", "dsn", 1, "<ex.spamcop.1@example.com>", "",
	    "vera@example.org 5.7.1 failed blocked policy" },
	{ "exim-delay-warning", "dsn", 1, "<ex.delay.3@example.com>", "",
	    "una@example.org 4.3.0 delayed system-error soft" },
	{ "exim-virus-rejected", "dsn", 1, "<ex.virus.6@example.com>", "",
	    "clerk@example.org 5.0.0 failed virus policy" },
	{ "qmail-remote-blocked", "nondsn", 1, "", "",
	    "nina@example.org 5.7.1 failed blocked policy" },
	{ "qmail-remote-no-such-user", "nondsn", 1, "", "",
	    "walt@example.org 5.0.0 failed user-unknown hard" },
	{ "qmail-vpopmail-over-quota", "nondsn", 1, "", "",
	    "packrat@example.net 5.0.0 failed mailbox-full quota" },
	{ "qmail-no-host", "nondsn", 1, "", "",
	    "joe@misspelled.example 5.1.2 failed host-unknown hard" },
	{ "opensmtpd-error-user-unknown", "dsn", 1,
	    "<os.unknown.1@example.com>", "",
	    "ivy@example.org 5.1.1 failed user-unknown hard" },
	{ "opensmtpd-delay", "dsn", 1, "<os.delay.2@example.com>", "",
	    "gus@example.org 4.7.0 delayed system-error soft" },
	{ "courier-user-unknown", "dsn", 1, "<cr.unknown.1@example.com>", "",
	    "yuri@example.org 5.1.1 failed user-unknown hard" },
	{ "exchange2007-recipient-not-found", "dsn", 1,
	    "<x7.notfound.1@example.com>", "",
	    "olaf.u@corp.example 5.1.1 failed user-unknown hard" },
	{ "exchange2010-mailbox-full", "dsn", 1, "<x10.full.1@example.com>", "",
	    "petra.lindqvist@corp.example 5.2.2 failed mailbox-full quota" },
	{ "exchange2016-queue-expired", "dsn", 1,
	    "<x16.expired.1@example.com>", "",
	    "rhea@partner.example.net 4.4.7 failed expired soft" },
	{ "outlook-s3150-blocklist", "dsn", 1, "<o3.s3150.1@example.com>", "",
	    "tess@outlook.example 5.7.1 failed blocked policy" },
	{ "o365-5.7.606-banned-ip", "dsn", 1, "<o3.606.2@example.com>", "",
	    "ursula@contoso.example 5.7.606 failed blocked policy" },
	{ "o365-5.7.511-banned-sender", "dsn", 1, "<o3.511.3@example.com>", "",
	    "victor@contoso.example 5.7.511 failed blocked policy" },
	{ "outlook-mailbox-unavailable", "dsn", 1,
	    "<o3.unavail.4@example.com>", "",
	    "wanda.x@outlook.example 5.5.0 failed user-unknown hard" },
	{ "o365-5.7.509-dmarc", "dsn", 1, "<o3.dmarc.5@example.com>", "",
	    "xena@contoso.example 5.7.509 failed authentication policy" },
	{ "o365-5.4.1-dbeb", "dsn", 1, "<o3.dbeb.6@example.com>", "",
	    "yolanda@contoso.example 5.4.1 failed user-unknown hard" },
	{ "o365-5.7.64-relay-denied", "dsn", 1, "<o3.relay.7@example.com>", "",
	    "zack@fabrikam.example 5.7.64 failed policy-other policy" },
	{ "o365-5.7.1-spamhaus", "dsn", 1, "<o3.sh.8@example.com>", "",
	    "abel@contoso.example 5.7.1 failed blocked policy" },
	{ "gmail-421-4.7.28-rate", "dsn", 1, "<gm.428.1@example.com>", "",
	    "brenda@gmail.example 4.7.28 delayed blocked policy" },
	{ "gmail-5.7.26-dmarc", "dsn", 1, "<gm.dmarc.3@example.com>", "",
	    "dina@gmail.example 5.7.26 failed authentication policy" },
	{ "gmail-5.7.25-ptr", "dsn", 1, "<gm.ptr.4@example.com>", "",
	    "eddie@gmail.example 5.7.25 failed authentication policy" },
	{ "gmail-5.2.2-out-of-storage", "dsn", 1, "<gm.full.5@example.com>", "",
	    "fiona@gmail.example 5.2.2 failed mailbox-full quota" },
	{ "gmail-own-dsn-no-such-user", "dsn", 1,
	    "<gw.nouser.1@example.com>", "",
	    "gina.nope@gmail.example 5.1.1 failed user-unknown hard" },
	{ "gmail-own-dsn-disabled", "dsn", 1, "<gw.disabled.2@example.com>", "",
	    "hal.old@gmail.example 5.2.1 failed mailbox-disabled hard" },
	{ "workspace-dsn-delay", "dsn", 1, "<gw.delay.3@example.com>", "",
	    "irene@slowpartner.example.net 4.4.1 delayed system-error "
	    "soft" },
	{ "google-groups-no-permission", "dsn", 1,
	    "<gg.perm.1@example.com>", "",
	    "announce@groups.example.org 5.0.0 failed policy-other policy" },
	{ "yahoo-tss04-deferred", "dsn", 1, "<yh.tss04.1@example.com>", "",
	    "kelly@yahoo.example 4.7.0 delayed blocked policy" },
	{ "yahoo-tss09-permanent", "dsn", 1, "<yh.tss09.2@example.com>", "",
	    "liam@yahoo.example 5.7.2 failed blocked policy" },
	{ "yahoo-bl21-spamhaus", "dsn", 1, "<yh.bl21.3@example.com>", "",
	    "mona@yahoo.example 5.7.1 failed blocked policy" },
	{ "yahoo-5.7.9-unauthenticated", "dsn", 1,
	    "<yh.auth.4@example.com>", "",
	    "ned@yahoo.example 5.7.9 failed authentication policy" },
	{ "yahoo-mailbox-disabled", "dsn", 1, "<yh.disabled.5@example.com>", "",
	    "olga@yahoo.example 5.0.0 failed mailbox-disabled hard" },
	{ "yahoo-user-unknown-smtp", "dsn", 1, "<yh.dd.6@example.com>", "",
	    "pete.gone@yahoo.example 5.0.0 failed user-unknown hard" },
	{ "aol-bl21-listed", "dsn", 1, "<ao.bl21.1@example.com>", "",
	    "rosa@aol.example 5.7.1 failed blocked policy" },
	{ "aol-policy-5.7.9", "dsn", 1, "<ao.pol.3@example.com>", "",
	    "tina@aol.example 5.7.9 failed policy-other policy" },
	{ "icloud-user-unknown", "dsn", 1, "<ic.unknown.2@example.com>", "",
	    "vic.none@icloud.example 5.1.1 failed user-unknown hard" },
	{ "icloud-over-quota", "dsn", 1, "<ic.quota.3@example.com>", "",
	    "wes@icloud.example 5.2.2 failed mailbox-full quota" },
	{ "ses-user-unknown", "dsn", 1, "<se.unknown.1@example.com>", "",
	    "yves@example.org 5.1.1 failed user-unknown hard" },
	{ "ses-suppression-list", "dsn", 1, "<se.supp.2@example.com>", "",
	    "zoe.bounced@example.org 5.1.1 failed user-unknown hard" },
	{ "workmail-mailbox-full", "dsn", 1, "<wm.full.1@example.com>", "",
	    "adam@workmail.example.org 5.2.2 failed mailbox-full quota" },
	{ "sendgrid-forwarded-bounce", "dsn", 1,
	    "<sg.unknown.1@example.com>", "",
	    "brian@example.org 5.1.1 failed user-unknown hard" },
	{ "mailgun-permanent-failure", "dsn", 1, "<mg.sorbs.1@example.com>", "",
	    "cora@example.net 5.7.1 failed blocked policy" },
	{ "powermta-bad-mailbox", "dsn", 1, "<pm.bad.1@example.com>", "",
	    "dora@example.org 5.1.1 failed user-unknown hard" },
	{ "powermta-spam-related", "dsn", 1, "<pm.spam.2@example.com>", "",
	    "eli@example.net 5.7.1 failed spam-content policy" },
	{ "powermta-policy-related-rdns", "dsn", 1,
	    "<pm.rdns.3@example.com>", "",
	    "faye@example.net 5.7.1 failed authentication policy" },
	{ "zoho-invalid-address", "dsn", 1, "<zo.invalid.1@example.com>", "",
	    "ella@zoho.example 5.1.1 failed user-unknown hard" },
	{ "zoho-mailbox-full-plain", "nondsn", 1, "", "",
	    "finn@zoho.example 5.2.2 failed mailbox-full quota" },
	{ "mailru-user-not-found", "nondsn", 1, "", "",
	    "gleb@mail.example.ru 5.0.0 failed user-unknown hard" },
	{ "yandex-no-such-user", "dsn", 1, "<ya.nouser.1@example.com>", "",
	    "hanna@yandex.example.ru 5.7.1 failed user-unknown hard" },
	{ "yandex-mailbox-size-exceeded", "dsn", 1,
	    "<ya.quota.2@example.com>", "",
	    "igor@yandex.example.ru 5.2.2 failed mailbox-full quota" },
	{ "gmx-policy-restrictions-bl", "dsn", 1, "<gx.bl.1@example.com>", "",
	    "jana@gmx.example.net 5.0.0 failed blocked policy" },
	{ "webde-mailbox-unavailable", "dsn", 1,
	    "<wd.unavail.1@example.com>", "",
	    "kai@web.example.de 5.0.0 failed user-unknown hard" },
	{ "orange-ofr004-blocked", "dsn", 1, "<or.ofr.1@example.com>", "",
	    "lea@orange.example.fr 5.7.1 failed blocked policy" },
	{ "orange-user-unknown", "dsn", 1, "<or.inv.2@example.com>", "",
	    "marc.inconnu@orange.example.fr 5.1.1 failed user-unknown "
	    "hard" },
	{ "domino-not-listed", "nondsn", 1, "<dm.notlisted.1@example.com>", "",
	    "nao.tanaka@lotus.example.co.jp 5.0.0 failed user-unknown "
	    "hard" },
	{ "imail-unknown-user", "nondsn", 1, "", "",
	    "pablo@imail.example.net 5.0.0 failed user-unknown hard" },
	{ "groupwise-user-not-found", "nondsn", 1, "<gw.nf.1@example.com>", "",
	    "quentin@gw.example.org 5.0.0 failed user-unknown hard" },
	{ "messagelabs-invalid-recipient", "dsn", 1,
	    "<ml.inv.2@example.com>", "",
	    "sara.x@symcloud.example.org 5.1.1 failed user-unknown hard" },
	{ "mimecast-envelope-blocked", "dsn", 1, "<mc.env.1@example.com>", "",
	    "theo@mimecast-customer.example 5.0.0 failed blocked policy" },
	{ "mimecast-security-policies", "dsn", 1, "<mc.sec.2@example.com>", "",
	    "ulla@mimecast-customer.example 5.0.0 failed policy-other "
	    "policy" },
	{ "mimecast-relay-not-allowed", "dsn", 1,
	    "<mc.relay.3@example.com>", "",
	    "vlad@mimecast-customer.example 4.0.0 delayed policy-other "
	    "policy" },
	{ "barracuda-reputation", "dsn", 1, "<bc.rep.1@example.com>", "",
	    "wilma@bcuda.example.net 5.7.1 failed blocked policy" },
	{ "barracuda-permanent-failure-blocked", "dsn", 1,
	    "<bc.perm.2@example.com>", "",
	    "xaver@bcuda.example.net 5.0.0 failed blocked policy" },
	{ "mcafee-mxlogic-blacklisted-ip", "dsn", 1,
	    "<mx.bl.1@example.com>", "",
	    "yara@mxl.example.com 5.0.0 failed blocked policy" },
	{ "proofpoint-ipcheck-blocked", "dsn", 1, "<pp.ip.1@example.com>", "",
	    "zeno@ppcust.example 5.0.0 failed blocked policy" },
	{ "trendmicro-rbl-plus", "dsn", 1, "<tm.rbl.1@example.com>", "",
	    "bert@tm.example.org 5.7.1 failed blocked policy" },
	{ "amavis-virus-infected", "dsn", 1, "<am.virus.1@example.com>", "",
	    "dave.r@example.org 5.7.0 failed virus policy" },
	{ "amavis-spam-reject", "dsn", 1, "<am.spam.2@example.com>", "",
	    "ema@example.org 5.7.0 failed spam-content policy" },
	{ "kddi-au-user-unknown", "nondsn", 1, "<kd.unknown.1@example.com>", "",
	    "gen.k@ezweb.example.jp 5.0.0 failed user-unknown hard" },
	{ "kddi-au-mailbox-full", "nondsn", 1, "", "",
	    "haru.m@au.example.jp 5.0.0 failed mailbox-full quota" },
	{ "docomo-unknown-user", "dsn", 1, "<dc.unknown.1@example.com>", "",
	    "iku.s@docomo.example.jp 5.0.0 failed user-unknown hard" },
	{ "docomo-filtered-domain", "dsn", 1, "<dc.filter.2@example.com>", "",
	    "jun.t@docomo.example.jp 5.0.0 failed user-unknown hard" },
	{ "softbank-user-unknown", "dsn", 1, "<sb.unknown.1@example.com>", "",
	    "kei.y@softbank.example.jp 5.0.0 failed user-unknown hard" },
	{ "verizon-vtext-no-such-user", "dsn", 1,
	    "<vz.nouser.1@example.com>", "",
	    "2025550143@vtext.example.com 5.1.1 failed user-unknown hard" },
	{ "arf-yahoo-fbl", "arf", 1, "<fb.yahoo.1@example.com>", "abuse",
	    "lucy@yahoo.example  complaint complaint complaint" },
	{ "arf-microsoft-jmrp-like", "arf", 1, "<fb.ms.1@example.com>", "abuse",
	    "mike.c@hotmail.example  complaint complaint complaint" },
	{ "arf-redacted-recipient", "arf", 1,
	    "<fb.redact.1@example.com>", "abuse",
	    "" },
	{ "arf-not-spam-type", "arf", 1, "<fb.fraud.1@example.com>", "fraud",
	    "nina.p@portal.example  complaint complaint complaint" },
	{ "autoreply-unix-vacation", "auto-reply", 1, "", "",
	    "oscar@example.org  auto-replied auto-reply auto-reply" },
	{ "autoreply-fr-reponse-automatique", "auto-reply", 1, "", "",
	    "raphael.durand@example.fr  auto-replied auto-reply "
	    "auto-reply" },
	{ "autoreply-ja-jidou-outou", "auto-reply", 1, "", "",
	    "tanaka.s@example.co.jp  auto-replied auto-reply auto-reply" },
	{ "autoreply-gmail-vacation", "auto-reply", 1, "", "",
	    "uma.patel@gmail.example  auto-replied auto-reply auto-reply" },
	{ "autoreply-ticket-acknowledgement", "auto-reply", 1, "", "",
	    "support@helpdesk.example.net  auto-replied auto-reply "
	    "auto-reply" },
	{ "autoreply-it-risposta", "auto-reply", 1, "", "",
	    "marco.bianchi@example.it  auto-replied auto-reply auto-reply" },
	{ "postfix-three-rcpts-mixed", "dsn", 1,
	    "<pf.three.12@example.com>", "",
	    "ruth@example.org 5.1.1 failed user-unknown hard|"
	    "stan@example.net 5.2.2 failed mailbox-full quota|"
	    "tara@gone-domain.example 5.4.4 failed host-unknown hard" },
	{ "postfix-rate-limit-slow-down", "dsn", 1,
	    "<pf.rate.13@example.com>", "",
	    "ugo@busyisp.example 4.7.1 delayed rate-limited soft" },
	{ "postfix-dkim-5.7.20", "dsn", 1, "<pf.dkim.14@example.com>", "",
	    "vera.n@strict.example 5.7.20 failed authentication policy" },
	{ "postfix-5.2.3-size-exceeds", "dsn", 1,
	    "<pf.size.15@example.com>", "",
	    "walt.k@example.net 5.2.3 failed message-too-large soft" },
	{ "postfix-mailbox-disabled", "dsn", 1,
	    "<pf.disabled.16@example.com>", "",
	    "xeno@example.org 5.2.1 failed mailbox-disabled hard" },
	{ "postfix-account-suspended", "dsn", 1, "<pf.susp.17@example.com>", "",
	    "yosef@hosting.example 5.7.1 failed mailbox-disabled hard" },
	{ "postfix-too-many-connections", "dsn", 1,
	    "<pf.conn.18@example.com>", "",
	    "zara@bigisp.example 4.7.0 delayed rate-limited soft" },
	{ "postfix-mail-loop", "dsn", 1, "<pf.loop.19@example.com>", "",
	    "loop@example.com 5.4.6 failed system-error soft" },
	{ "gmail-5.7.26-unauthenticated-spf-dkim", "dsn", 1,
	    "<gm.auth.6@example.com>", "",
	    "abby@gmail.example 5.7.26 failed authentication policy" },
	{ "gmail-421-4.7.0-low-reputation", "dsn", 1,
	    "<gm.rep.7@example.com>", "",
	    "bea@gmail.example 4.7.0 delayed blocked policy" },
	{ "gmail-452-4.2.2-over-quota", "dsn", 1,
	    "<gm.tquota.8@example.com>", "",
	    "cleo@gmail.example 4.2.2 delayed mailbox-full quota" },
	{ "outlook-4.7.650-ip-reputation", "dsn", 1,
	    "<ol.650.1@example.com>", "",
	    "dirk@outlook.example 4.7.650 delayed blocked policy" },
	{ "hotmail-sc001-blocked", "dsn", 1, "<hm.sc001.1@example.com>", "",
	    "fritz@hotmail.example 5.0.0 failed blocked policy" },
	{ "comcast-rbl-bl000010", "dsn", 1, "<cc.bl.1@example.com>", "",
	    "gail@comcast.example.net 5.0.0 failed blocked policy" },
	{ "qqmail-ip-frequency-limited", "dsn", 1,
	    "<qq.freq.2@example.com>", "",
	    "7654321@qq.example.com 4.0.0 delayed rate-limited soft" },
	{ "ironport-poor-reputation", "dsn", 1, "<ip.rep.1@example.com>", "",
	    "ines@cisco-customer.example 5.7.1 failed blocked policy" },
	{ "cpanel-exim-no-such-user", "dsn", 1, "<cp.nouser.1@example.com>", "",
	    "joel@shared-host.example 5.0.0 failed user-unknown hard" },
	{ "exim-greylist-come-back-later", "dsn", 1,
	    "<ex.grey.7@example.com>", "",
	    "kara@example.net 4.7.1 delayed system-error soft" },
	{ "exim-two-rcpts-size-and-unknown", "dsn", 1,
	    "<ex.two.8@example.com>", "",
	    "lars@example.org 5.3.4 failed message-too-large soft|"
	    "mona.b@example.org 5.1.1 failed user-unknown hard" },
	{ "sendmail-dsn-two-rcpts", "dsn", 1, "<sm.two.5@example.com>", "",
	    "nora@example.org 5.1.1 failed user-unknown hard|"
	    "otto@example.org 5.2.2 failed mailbox-full quota" },
	{ "exchange-5.4.310-dns-domain", "dsn", 1, "<x.dns.3@example.com>", "",
	    "paul@misspeled-domain.example 5.4.310 failed host-unknown "
	    "hard" },
	{ "exchange-5.4.14-hop-count", "dsn", 1, "<x.hop.4@example.com>", "",
	    "quint@corp.example 5.4.14 failed system-error soft" },
	{ "qmail-account-disabled", "nondsn", 1, "", "",
	    "ulf@example.net 5.2.1 failed mailbox-disabled hard" },
	{ "exchange2003-account-does-not-exist", "dsn", 1,
	    "<x3.nouser.2@example.com>", "",
	    "wilma.old@corp.example 5.1.1 failed user-unknown hard" },
	{ "yahoo-own-remote-host-said", "nondsn", 1, "", "",
	    "xander@example.org 5.1.1 failed user-unknown hard" },
	{ "arf-ses-complaint", "arf", 1, "<fb.ses.2@example.com>", "abuse",
	    "yusuf@isp.example  complaint complaint complaint" },
	{ "arf-aol-scomp", "arf", 1, "<fb.aol.3@example.com>", "abuse",
	    "zelda@aol.example  complaint complaint complaint" },
	{ "mdn-read-receipt", "not-bounce", 1, "", "",
	    "" },
	{ "autoreply-ru-avtootvet", "auto-reply", 1, "", "",
	    "dmitri@example.ru  auto-replied auto-reply auto-reply" },
	{ "autoreply-zh-zidong-huifu", "auto-reply", 1, "", "",
	    "li.wei@example.cn  auto-replied auto-reply auto-reply" },
	{ "autoreply-ja-fuzai-tsuuchi", "auto-reply", 1, "", "",
	    "suzuki.h@example.co.jp  auto-replied auto-reply auto-reply" },
	{ "autoreply-cpanel-autorespond", "auto-reply", 1, "", "",
	    "sales@shop.example.net  auto-replied auto-reply auto-reply" },
	{ "autoreply-zimbra-ooo", "auto-reply", 1, "", "",
	    "elena.costa@zimbra.example.org  auto-replied auto-reply "
	    "auto-reply" },
	{ "carrier-not-delivered-within", "nondsn", 1, "", "",
	    "kenji.phone@carrier.example.jp 5.0.0 failed expired soft" },
	{ "dsn-fields-in-text-part", "dsn", 1, "", "",
	    "prof.weber@dept.example.edu 5.1.1 failed user-unknown hard" },
	{ "exim-null-mx-no-smtp-service", "nondsn", 1, "", "",
	    "info@parked-name.example 5.0.0 failed host-unknown hard" },
	{ "exim-pipe-failed", "nondsn", 1, "", "",
	    "tickets@helpdesk.example.net 5.0.0 failed system-error soft" },
	{ "exim-sent-to-self", "nondsn", 0, "", "",
	    "owner@solo.example 5.1.1 failed user-unknown hard" },
	{ "gateway-hop-count-refused", "nondsn", 1, "", "",
	    "ines@loop.example.org 5.4.6 failed system-error soft" },
	{ "groups-help-link-only", "nondsn", 1, "", "",
	    "vendas@googlegroups.example 5.0.0 failed policy-other policy" },
	{ "hotmail-plain-complaint", "arf", 1,
	    "<hm.jmrp.9@example.com>", "abuse",
	    "olivia.reader@hotmail.example  complaint complaint complaint" },
	{ "orange-lpn007-account-blocked", "dsn", 1,
	    "<or.lpn.5@example.com>", "",
	    "paul.martin@orange.example.fr 5.5.0 failed mailbox-disabled hard" },
	{ "postfix-dns-try-again", "nondsn", 1,
	    "<pf.dnsagain.1@example.com>", "",
	    "dora.lindqvist@flaky-dns.example 5.0.0 failed system-error soft" },
	{ "postfix-procmail-failed", "nondsn", 1, "", "",
	    "tom@home.example.org 5.0.0 failed system-error soft" },
	{ "qqmail-domain-frequency-limited", "dsn", 1,
	    "<qq.dfreq.4@example.com>", "",
	    "3141592@qq.example.com 5.0.0 failed rate-limited soft" },
	{ "spamhaus-url-only-5.1.3", "dsn", 1, "<sh.url.6@example.com>", "",
	    "sales@shop.example.net 5.1.3 failed blocked policy" },
	{ "status-4-reply-550", "dsn", 1, "<it.st.7@example.com>", "",
	    "gina@mail.example.it 5.5.0 failed blocked policy" },
	{ "exchange2003-smtp-problem", "dsn", 1, "<x3.refused.1@example.com>",
	    "", "hugo.brandt@corp.example 5.7.1 failed policy-other policy" },
	{ "trendmicro-interscan-virus", "nondsn", 1, "", "",
	    "carla@tm.example.org 5.0.0 failed virus policy" },
	{ "isp-postmaster-recipient-full", "nondsn", 1,
	    "<isp.pm.1@example.com>", "",
	    "postmaster@shop.example.ne.jp 5.0.0 failed mailbox-full quota" },
	{ "gateway-wrapped-dsn", "dsn", 1, "<gw.wrap.2@example.com>", "",
	    "yuki.sato@inner.example.co.jp 5.1.1 failed user-unknown hard" },
};

static char *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf;

	if (fp == NULL)
		return NULL;
	buf = malloc(1 << 20);
	*len = fread(buf, 1, 1 << 20, fp);
	fclose(fp);
	return buf;
}

/* One line that says everything about a result, to compare results. */
static void
summary(const BOUNCE *b, char *out, size_t size)
{
	size_t i, n;

	n = (size_t)snprintf(out, size, "%s tok=%s id=%s fb=%s:",
	    bounce_type_name(b->type), b->token, b->message_id,
	    b->feedback_type);
	for (i = 0; i < b->nrcpts && n < size; i++)
		n += (size_t)snprintf(out + n, size - n, "%s%s %s %s %s",
		    i ? "|" : "", b->rcpts[i].address, b->rcpts[i].status,
		    b->rcpts[i].action, b->rcpts[i].cls);
}

/* A type we know, recipients with an address, a class and a status
 * that is empty or d.d.d. */
static int
well_formed(const BOUNCE *b)
{
	size_t i;
	const char *s;

	if (b->type > BOUNCE_AUTOREPLY || b->nrcpts > BOUNCE_RCPTS_MAX)
		return 0;
	for (i = 0; i < b->nrcpts; i++) {
		s = b->rcpts[i].status;
		if (strchr(b->rcpts[i].address, '@') == NULL ||
		    b->rcpts[i].cls == NULL ||
		    (s[0] != '\0' && (s[1] != '.' || strchr(s + 2, '.') ==
		    NULL)))
			return 0;
	}
	return 1;
}

static void
rcpts(const BOUNCE *b, char *out, size_t size)
{
	size_t i, n = 0;

	out[0] = '\0';
	for (i = 0; i < b->nrcpts && n < size; i++)
		n += (size_t)snprintf(out + n, size - n, "%s%s %s %s %s %s",
		    i ? "|" : "", b->rcpts[i].address, b->rcpts[i].status,
		    b->rcpts[i].action, b->rcpts[i].reason, b->rcpts[i].cls);
}

static void
test_rules(void)
{
	static const struct {
		const char *text, *err;
	} bad[] = {
		{ "hard status ^5\\.1\\.1$\nbogus status x\n",
		    "r:2: unknown reason \"bogus\"" },
		{ "hard color x\n", "r:1: unknown field \"color\"" },
		{ "hard status\n", "r:1: no pattern" },
		{ "hard status (unclosed\n", "r:1: bad pattern \"(unclosed\"" },
		/* regcomp() would unroll these into gigabytes */
		{ "hard any null mx++++++++++++++++++++++++++++++++++++++\n",
		    "r:1: pattern \"null mx+++" },
		{ "hard any ((x{99}){99}){,99}\n", "r:1: pattern \"((x{99})" },
		{ "hard any ox*?+?*?+?*?+?*?+?*?+?*?+?*?+?*?+?*?+?*?+?*?+?*?\n",
		    "r:1: pattern \"ox*?+" },	/* stacked: exponential */
		{ "hard any (((((((((((((((((((((((((((((x+)+)+)+)+)+)+)+)+)+)+)"
		    "+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)\n", "r:1: pattern" },
		{ "# only a comment\n\n", NULL },
	};
	static const char four[] = "quota status ^5\\.2\\.2$\n"
	    "policy diagnostic spamhaus\nhard any 5\\.\n"
	    "spam-content diagnostic viagra\n";
	BOUNCE_RULES *r;
	char *errors;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = bouncerules_parse(bad[i].text, strlen(bad[i].text), "r",
		    &errors);
		if (bad[i].err == NULL)
			tap_ok(r != NULL && errors == NULL &&
			    bouncerules_count(r) == 0, "rules: comments and "
			    "empty lines only: no rules, no error");
		else
			tap_ok(r == NULL && errors != NULL &&
			    strncmp(errors, bad[i].err, strlen(bad[i].err)) ==
			    0, "rules error: %s (got %s)", bad[i].err,
			    errors ? errors : "none");
		free(errors);
		bouncerules_free(r);
	}
	r = bouncerules_parse(four, sizeof(four) - 1, "r", &errors);
	tap_ok(r != NULL && bouncerules_count(r) == 4, "four rules parse");
	tap_str(bouncerules_classify(r, "5.2.2", "", ""), "mailbox-full",
	    "rules: first match decides (legacy class quota: mailbox-full)");
	tap_str(bouncerules_classify(r, "5.7.1", "listed at SPAMHAUS", ""),
	    "policy-other", "rules: case-insensitive diagnostic (legacy "
	    "policy: policy-other)");
	tap_str(bouncerules_classify(r, "5.4.0", "", ""), "user-unknown",
	    "rules: 'any' matches the status (legacy hard: user-unknown)");
	tap_str(bouncerules_classify(r, "4.4.1", "", ""), "unknown",
	    "rules: no match is unknown");
	bouncerules_free(r);
	r = bouncerules_parse("spam-content diagnostic viagra\n", 31, "r",
	    &errors);
	tap_str(bouncerules_classify(r, "5.1.1", "buy viagra", ""),
	    "spam-content", "rules: a reason rule");
	bouncerules_add_builtin(r);
	tap_ok(bouncerules_count(r) > 20 && strcmp(bouncerules_classify(r,
	    "5.1.1", "buy viagra", ""), "spam-content") == 0 &&
	    strcmp(bouncerules_classify(r, "5.1.1", "", ""), "user-unknown") ==
	    0, "the operator's rules first, then the built-in ones (%zu)",
	    bouncerules_count(r));
	bouncerules_free(r);
	tap_str(bouncerules_classify(NULL, "5.1.1", "", ""), "user-unknown",
	    "no rules given: the built-in ones");
	tap_str(bouncerules_classify(NULL, "5.1.1", "550 5.1.1 "
	    "<spam-filtered@example.org>: Recipient address rejected: User "
	    "unknown", ""), "user-unknown", "the words of an address are not "
	    "the receiver's (spam-filtered@...: user-unknown)");
	tap_str(bouncerules_classify(NULL, "5.7.1", "550 5.7.1 <x@y.example>: "
	    "Recipient address rejected: Access denied", ""), "policy-other",
	    "Postfix's \"Recipient address rejected:\" is followed, not "
	    "taken for a dead address");
	tap_str(bouncerules_classify(NULL, "5.1.1", "550 5.7.1 Service "
	    "unavailable; client [192.0.2.1] blocked using zen.spamhaus.org",
	    ""), "blocked", "a text that says blocked wins over 5.1.1");
	tap_str(bouncerules_classify(NULL, "5.7.1", "550 5.7.1 No such user "
	    "here", ""), "user-unknown", "a text that says the user is "
	    "unknown wins over a generic 5.7.1");
	tap_str(bouncerules_classify(NULL, "5.1.3", "553 5.1.3 https://check."
	    "spamhaus.org/listed/?searchterm=192.0.2.7", ""), "blocked",
	    "a URL's host is read (a blocklist's page), its path is not");
	tap_str(bouncerules_classify(NULL, "5.1.1", "550 see https://help."
	    "example/errors/user-unknown-or-spam", ""), "user-unknown",
	    "a URL's path is not read (the status decides)");
	tap_str(bouncerules_classify(NULL, "5.0.0", "Name service error for "
	    "domain d.example: Host not found, try again", ""), "system-error",
	    "Postfix's \"Host not found, try again\": a DNS failure for now");
	tap_str(bouncerules_classify(NULL, "5.0.0", "Command died with "
	    "status 1: procmail: No such user \"tom\"", ""), "system-error",
	    "a local delivery program's failure is the receiver's trouble");
	tap_str(bouncerules_classify(NULL, "5.0.0", "550 Ip frequency limited. "
	    "Blocked IP 192.0.2.7", ""), "rate-limited", "QQ mail's "
	    "\"frequency limited\": a rate limit, however worded");
	tap_str(bouncerules_classify(NULL, "5.5.0", "550 5.5.0 The recipient "
	    "account is blocked.", ""), "mailbox-disabled", "\"the recipient "
	    "account is blocked\": the mailbox, not the sender");
	tap_str(bouncerules_classify(NULL, "5.4.6", "refused to accept your "
	    "message: [554 5.4.6 Hop count exceeded - possible mail loop]", ""),
	    "system-error", "a mail loop, whoever refused it");
	tap_str(bouncerules_classify(NULL, "5.0.0", "an MX or SRV record "
	    "indicated no SMTP service", ""), "host-unknown", "Exim's null "
	    "MX text: a domain that takes no mail");
	r = bouncerules_builtin();
	tap_ok(r != NULL && bouncerules_count(r) > 20, "the built-in rules "
	    "parse (%zu)", bouncerules_count(r));
	bouncerules_free(r);
	tap_str(bouncerules_class("user-unknown"), "hard", "class of "
	    "user-unknown: hard");
	tap_str(bouncerules_class("blocked"), "policy", "class of blocked: "
	    "policy");
	tap_str(bouncerules_class("mailbox-full"), "quota", "class of "
	    "mailbox-full: quota");
	tap_str(bouncerules_class("expired"), "soft", "class of expired: "
	    "soft");
	tap_str(bouncerules_class("no-such-reason"), "unknown", "class of an "
	    "unknown name: unknown");
}

static void
test_mime(void)
{
	static const char m[] = "Subject: a\r\n  folded\tvalue\r\n"
	    "Content-Type: multipart/mixed;\r\n boundary=\"b b\"\r\n\r\n"
	    "pre\r\n--b b\r\nContent-Type: text/plain\r\n\r\none\r\n"
	    "--b b\r\n\r\ntwo\r\n--b b--\r\nepilogue\r\n";
	MIME_PART p, k[4];
	char v[64];
	size_t n;

	mime_split(m, sizeof(m) - 1, &p);
	tap_ok(mime_field(&p, "subject", v, sizeof(v)) == NULL &&
	    strcmp(v, "a folded value") == 0, "mime: a folded field is "
	    "unfolded (%s)", v);
	tap_str(mime_field(&p, "Subjec", v, sizeof(v)), "no such field",
	    "mime: a name prefix is not a match");
	mime_field(&p, "Content-Type", v, sizeof(v));
	tap_ok(mime_param(v, "boundary", v, sizeof(v)) == NULL &&
	    strcmp(v, "b b") == 0, "mime: quoted boundary with a space");
	n = mime_children(&p, k, 4);
	tap_ok(n == 2 && k[0].blen == 3 && memcmp(k[0].body, "one", 3) == 0 &&
	    k[1].hlen == 0 && k[1].blen == 3, "mime: two parts, preamble and "
	    "epilogue left out");
	n = mime_children(&p, k, 1);
	tap_int((long long)n, 1, "mime: at most max parts");
	mime_words("=?utf-8?Q?Resposta_autom=C3=A1tica:?= =?ISO-8859-1?B?"
	    "UmU6?= x", v, sizeof(v));
	tap_str(v, "Resposta autom\xc3\xa1tica:Re: x", "mime: encoded words "
	    "(Q and B) decoded, the space between two of them dropped");
	mime_words("=?utf-8?X?bad?= plain =?", v, sizeof(v));
	tap_str(v, "=?utf-8?X?bad?= plain =?", "mime: what is no encoded "
	    "word stays as it is");
}

int
main(void)
{
	char path[1024], want[2048], got[4096], whole[4096], part[4096];
	const char *top = getenv("TOP_SRCDIR") ? getenv("TOP_SRCDIR") : ".";
	char *errors, *msg;
	BOUNCE_RULES *rules;
	BOUNCE b;
	BOUNCE_BUF bb;
	size_t i, len = 0, cut, bad, split;
	int ok;

	snprintf(path, sizeof(path), "%s/contrib/bounce-rules", top);
	rules = bouncerules_load(path, &errors);
	if (!tap_ok(rules != NULL, "contrib/bounce-rules loads (%zu rules)",
	    bouncerules_count(rules))) {
		printf("# %s", errors ? errors : "");
		return tap_done();
	}
	test_rules();
	test_mime();
	for (i = 0; i < sizeof(corpus) / sizeof(corpus[0]); i++) {
		snprintf(path, sizeof(path), "%s/tests/bounce/corpus/%s.eml",
		    top, corpus[i].file);
		if (!tap_ok((msg = slurp(path, &len)) != NULL, "%s: read",
		    corpus[i].file))
			continue;
		bounce_parse(msg, len, "rp", "bounce.example.com", rules, &b);
		rcpts(&b, got, sizeof(got));
		ok = strcmp(bounce_type_name(b.type), corpus[i].type) == 0 &&
		    (corpus[i].token ? strcmp(b.token, TOKEN) == 0 :
		    b.token[0] == '\0') &&
		    strcmp(b.message_id, corpus[i].message_id) == 0 &&
		    strcmp(b.feedback_type, corpus[i].feedback) == 0 &&
		    strcmp(got, corpus[i].rcpts) == 0;
		snprintf(want, sizeof(want), "%s tok=%d id=%s fb=%s: %s",
		    corpus[i].type, corpus[i].token, corpus[i].message_id,
		    corpus[i].feedback, corpus[i].rcpts);
		tap_ok(ok, "%s: %s", corpus[i].file, want);
		if (!ok) {
			summary(&b, whole, sizeof(whole));
			printf("#   got: %s\n", whole);
		}
		summary(&b, whole, sizeof(whole));

		/* every truncation: a well-formed result, never a crash */
		for (bad = 0, cut = 0; cut < len; cut++) {
			bounce_parse(msg, cut, "rp", "bounce.example.com",
			    rules, &b);
			if (!well_formed(&b))
				bad++;
		}
		tap_int((long long)bad, 0, "%s: all %zu truncations give a "
		    "well-formed result", corpus[i].file, len);

		/* fed in chunks: the same octets, so (the parser being a
		 * function of them) the same result, parsed once below */
		for (bad = 0, split = 0; split <= len; split++) {
			memset(&bb, 0, sizeof(bb));
			bounce_buf_add(&bb, msg, split);
			bounce_buf_add(&bb, msg + split, len - split);
			if (bb.len != len || memcmp(bb.buf, msg, len) != 0)
				bad++;
			bounce_buf_free(&bb);
		}
		memset(&bb, 0, sizeof(bb));
		for (cut = 0; cut < len; cut++)
			bounce_buf_add(&bb, msg + cut, 1);
		bounce_parse(bb.buf, bb.len, "rp", "bounce.example.com", rules,
		    &b);
		summary(&b, part, sizeof(part));
		bounce_buf_free(&bb);
		tap_ok(bad == 0 && strcmp(part, whole) == 0, "%s: split at "
		    "each of %zu boundaries and in 1-octet chunks: the same "
		    "result", corpus[i].file, len + 1);
		free(msg);
	}

	/* a huge message: only the first BOUNCE_SCAN_MAX octets count */
	memset(&bb, 0, sizeof(bb));
	msg = malloc(1 << 20);
	memset(msg, 'x', 1 << 20);
	for (i = 0; i < 3; i++)
		bounce_buf_add(&bb, msg, 1 << 20);
	tap_ok(bb.len == BOUNCE_SCAN_MAX && bb.dropped == (3u << 20) -
	    BOUNCE_SCAN_MAX, "3 MiB fed: %d kept, the rest counted",
	    BOUNCE_SCAN_MAX);
	bounce_parse(bb.buf, bb.len, "rp", "bounce.example.com", rules, &b);
	tap_str(bounce_type_name(b.type), "not-bounce", "3 MiB of 'x': "
	    "not a bounce");
	bounce_buf_free(&bb);
	free(msg);
	bouncerules_free(rules);
	return tap_done();
}
