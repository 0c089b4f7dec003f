//! Every public PUMAPI body parser on arbitrary bytes: `Ok` or a typed error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ppms::parse::{self, token};
use ppms::{
    BillingCode, Experience, Group, InvoiceAccountTotal, InvoiceDetails, InvoiceTracking, Order,
    OrderLine, PriceListEntry, Project, RowPolicy, Service, System, User,
};

fuzz_target!(|data: &[u8]| {
    let Ok(body) = parse::body_text(data) else {
        return;
    };
    let _ = parse::classify(body);
    let _ = parse::is_blank(body);
    for policy in [RowPolicy::SkipAndWarn, RowPolicy::Strict] {
        let _ = parse::parse_table::<User>(body, policy);
        let _ = parse::parse_table::<Group>(body, policy);
        let _ = parse::parse_table::<System>(body, policy);
        let _ = parse::parse_table::<Project>(body, policy);
        let _ = parse::parse_table::<BillingCode>(body, policy);
        let _ = parse::parse_table::<Experience>(body, policy);
        let _ = parse::parse_table::<InvoiceTracking>(body, policy);
        let _ = parse::parse_table::<Service>(body, policy);
        let _ = parse::parse_table::<PriceListEntry>(body, policy);
        let _ = Order::parse_body(body, policy);
        let _ = OrderLine::parse_body(body, policy);
        let _ = InvoiceAccountTotal::parse_body(body, policy);
        let day = chrono::NaiveDate::from_ymd_opt(2024, 2, 29).unwrap_or_default();
        let _ = ppms::parse_running_sheet(body, day, policy);
    }
    let _ = InvoiceDetails::parse_body(body);
    let _ = parse::parse_json_rows::<User>(body);
    let _ = User::from_json_body(body);
    let _ = Experience::from_json_body(body);
    let _ = parse::parse_lines(body);
    let _ = parse::parse_id_lines(body);
    let _ = parse::parse_rights(body);
    let _ = parse::parse_rights_lenient(body);
    let _ = parse::parse_booking_record(body);
    let _ = token::is_done(body);
    let _ = token::is_ok_newuser(body);
    let _ = token::parse_order_ref(body);
    let _ = token::parse_auth_outcome(body);
    for line in body.lines().take(64) {
        let _ = parse::value::parse_bool(line);
        let _ = parse::value::parse_date(line);
        let _ = parse::value::parse_time(line);
        let _ = parse::value::parse_decimal(line);
        let _ = parse::value::parse_i64(line);
        let _ = ppms::parse_split_code(line);
    }
});
