"""Every input problem the quote request, a census file and the new-quote form can report,
as data: a stable machine code and its English message with named parameters.

A producer makes a problem with ``Problem.of(code, path=…, row=…, **params)``
(quoting/errors.py): the message is the template filled in, so the API's texts are exactly
the English ones, and ``code`` and ``params`` travel with it. The pages translate by the code
(the Chinese catalogue has each template as a msgid: quoting/locale), never by matching a
message's text; a problem without a code (a msgspec message no rule here knows) is shown as
its English message.

``_`` only marks a template for Babel's extraction (``babel.cfg`` reads this module).
"""

from __future__ import annotations

__all__ = ["PARAM_WORDS", "PROBLEM_MESSAGES", "message_of"]


def _(message: str) -> str:
    return message


PROBLEM_MESSAGES: dict[str, str] = {
    # --- any field (msgspec's own checks, in plain words: quoting/validation.py)
    "field.required": _("is required"),
    "field.unknown": _("is not a field of a quote request"),
    "text.empty": _("must not be empty"),
    "text.too_short": _("must be at least %(min)s characters"),
    "text.too_long": _("is too long (at most %(max)s characters)"),
    "text.at_most": _("at most %(max)s characters"),
    "text.control_character": _("contains the control character %(char)s; remove it"),
    "text.control_characters": _(
        "contains a control character (such as NUL, U+0001-U+001F, tab or a line break); remove it"
    ),
    "number.at_least": _("%(value)s is out of range (must be at least %(bound)s)"),
    "number.at_most": _("%(value)s is out of range (must be at most %(bound)s)"),
    "number.above": _("%(value)s is out of range (must be above %(bound)s)"),
    "number.below": _("%(value)s is out of range (must be below %(bound)s)"),
    "number.invalid_decimal": _("Invalid decimal string"),
    # msgspec's own words (the API has always said them so)
    "list.too_short": _("Expected `array` of length >= %(min)s"),
    "list.too_long": _("Expected `array` of length <= %(max)s"),
    "value.format": _("%(value)s is not in the expected format"),
    "value.not_accepted": _("%(value)s is not one of the accepted values"),
    "value.type": _("expected %(expected)s, got %(got)s"),
    "date.invalid": _("%(value)s is not a date (use YYYY-MM-DD)"),
    "date.out_of_range": _("must be a date from %(earliest)s to %(latest)s"),
    "date.end_before_start": _("must not be before start"),
    "amount.out_of_range": _("must be an amount from %(low)s to %(high)s"),
    "number.interval": _("must be a number in %(interval)s"),
    # --- the request (quoting/schemas, quoting/services/intake.py)
    "request.invalid_json": _("the request is not valid JSON: %(detail)s"),
    "request.too_deep": _("the request is nested too deeply"),
    "request.not_object": _("the request must be a JSON object"),
    "request.census_twice": _("send the census either in the request or as a file, not both"),
    "request.too_many_problems": _(
        "more than %(most)s problems: the census was checked up to row %(last_row)s; correct the "
        "problems listed and send it again"
    ),
    "credit_code.check_character": _("check character does not match"),
    "period.too_long": _("a policy period is at most %(days)s days"),
    "plan.no_cover": _("a plan needs at least one cover"),
    "plan.names_not_unique": _("plan names must be unique"),
    "plan.member_twice": _("member %(member)s is already in plan %(plan)s"),
    "plan.class_twice": _("class %(occupation_class)s is already in plan %(plan)s"),
    "plan.catch_all_twice": _("only one plan may omit both classes and member_ids"),
    "plan.unknown_members": _("member_ids not in the census: %(ids)s"),
    "cover.days_not_offered": _("%(days)s days is not offered; choose one of %(offered)s"),
    "census.members_or_groups": _("give exactly one of members and groups"),
    "census.empty": _("the census is empty"),
    "renewal.no_members": _(
        "policy %(policy)s covers no member on its last day: there is nobody to renew"
    ),
    "census.too_many_members": _(
        "the headcounts add up to %(total)s members; a census has at most %(most)s"
    ),
    "member.age_or_birth_date": _("give exactly one of date_of_birth and age"),
    "member.class_or_code": _("give occupation_class or occupation_code"),
    "member.class_invalid": _("must be 1-6 or 9"),
    "member.born_after_cover_starts": _("is after the member's cover starts"),
    "member.duplicate": _("%(member)s appears more than once"),
    "member.no_plan": _(
        "no plan applies to this member (class %(occupation_class)s); add the class to a plan "
        "or add a plan without classes"
    ),
    "group.age_or_band": _("give exactly one of age and age_band"),
    "group.band_out_of_range": _("must be low-high, both from 0 to %(max)s"),
    "census_row.unknown_field": _("is not a field of a census row"),
    "country.unknown": _(
        "unknown country %(country)s (use an ISO code, or the English or Chinese name)"
    ),
    "occupation.unknown": _("unknown occupation code %(code)s"),
    "occupation.contradicts_class": _(
        "class %(occupation_class)s contradicts occupation %(code)s (class %(code_class)s)"
    ),
    "experience.member_years_too_many": _(
        "%(member_years)s is more than %(headcount)s members over %(years)s years could have "
        "had (at most %(most)s with the tariff's margin of %(margin)s)"
    ),
    "experience.claims_too_many": _(
        "%(claims)s claims in %(member_years)s member-years is more than the tariff's "
        "%(most)s per member-year"
    ),
    "commission.out_of_bounds": _("%(value)s is outside the tariff's bounds [%(low)s, %(high)s]"),
    "commission.set_by_broker": _("is set by your broker account; leave it out"),
    "adjustment.underwriters_only": _("only underwriters may adjust a premium"),
    "adjustment.beyond_maximum": _("%(value)s is beyond the maximum of ±%(most)s"),
    "as_of.today_only": _(
        "quotes are priced as of today, the insurer's business date (%(today)s); leave as_of "
        "out — only underwriters may re-price as of another date"
    ),
    "date.window_as_of": _(
        "%(value)s is outside the window for an as-of date: %(low)s to %(high)s"
    ),
    "date.window_period_start": _(
        "%(value)s is outside the window for a policy start (a year back, two years ahead): "
        "%(low)s to %(high)s"
    ),
    "date.window_member_cover": _(
        "%(value)s is outside the window for a member's cover (a year back, three years "
        "ahead): %(low)s to %(high)s"
    ),
    "date.window_experience": _(
        "%(value)s is outside the window for claims experience (ten years back, up to "
        "today): %(low)s to %(high)s"
    ),
    # --- census files (quoting/census)
    "census.file_type": _("unsupported file type; a census must be a %(formats)s or %(last)s file"),
    "census.file_type_xls": _(
        "unsupported file type (save it as .xlsx); a census must be a %(formats)s or %(last)s file"
    ),
    "census.file_too_large": _("the file is %(size)s MB; a census file may be at most %(most)s MB"),
    "census.cell_formula": _(
        "%(value)s is a formula; formulas are not accepted (paste values instead)"
    ),
    "census.cell_sex": _("%(value)s is not a sex (use M or F, 男 or 女)"),
    "census.cell_not_text": _("%(value)s is not text"),
    "census.cell_date_not_text": _("%(value)s is a date or time, not text"),
    "census.cell_time_of_day": _("%(value)s has a time of day; give a date (YYYY-MM-DD)"),
    "census.cell_whole_number": _("%(value)s is not a whole number"),
    "census.cell_empty": _("is empty; a value is required"),
    "census.cell_missing": _("is missing; a value is required"),
    "census.not_a_field": _("is not a census field"),
    "census.columns_same_field": _(
        "columns '%(first)s' and '%(second)s' both mean %(field)s; keep one"
    ),
    "census.column_unknown_groups": _(
        "unknown column '%(header)s'; accepted columns for an aggregated census (one with a "
        "headcount column) are %(fields)s (or an English or Chinese alias, e.g. 人数 or count "
        "for headcount, 年龄段 for age_band, 国家 for country)"
    ),
    "census.column_unknown_members": _(
        "unknown column '%(header)s'; accepted columns for a member-level census are "
        "%(fields)s (or an English or Chinese alias, e.g. id or 序号 for member_id, 姓名 for "
        "name, dob or 出生日期 for date_of_birth)"
    ),
    "census.column_not_for_groups": _(
        "column '%(header)s' (%(field)s) does not belong in an aggregated census (one with a "
        "headcount column); accepted columns are %(fields)s"
    ),
    "census.column_not_for_members": _(
        "column '%(header)s' (%(field)s) does not belong in a member-level census; accepted "
        "columns are %(fields)s"
    ),
    "census.column_missing": _(
        "required column '%(field)s' is missing (also accepted as: %(names)s)"
    ),
    "census.column_twice": _("column '%(name)s' appears twice"),
    "census.header_formula": _(
        "header is a formula; formulas are not accepted (paste values instead)"
    ),
    "census.value_without_header": _(
        "value in a column without a header (give the column a header, or delete it)"
    ),
    "census.no_data_rows": _("the census is empty (no data rows)"),
    "census.no_header_row": _("the census is empty (no header row)"),
    "census.sheet_blank": _("the census is empty (the first sheet is blank)"),
    "census.too_many_problems": _(
        "more than %(most)s problems: the file was read up to row %(last_row)s; correct the "
        "problems listed (is it the right file, with the right headers?) and send it again"
    ),
    "census.too_many_rows": _(
        "the census has more than %(most)s rows; split it or use an aggregated census (with a "
        "headcount column)"
    ),
    "census.json_invalid": _("not valid JSON: %(detail)s"),
    "census.json_too_deep": _("the JSON is nested too deeply"),
    "census.json_shape": _(
        'a JSON census is {"members": [...]}, {"groups": [...]} or a list of members; found '
        "keys %(keys)s"
    ),
    "census.json_not_list": _("the census must be a list of rows"),
    "census.json_row_not_object": _("each row must be a JSON object"),
    "census.csv_encoding": _("cannot read the text; save the CSV as UTF-8 (or GBK/GB18030)"),
    "census.csv_line_too_long": _(
        "the line is longer than %(most)s characters; a census line is far shorter"
    ),
    "census.csv_unreadable": _("cannot read the CSV: %(detail)s"),
    "census.xlsx_unreadable": _(
        "not a readable .xlsx workbook (%(detail)s); save it again as .xlsx"
    ),
    "xlsx.too_many_parts": _("the workbook has more than %(most)s parts"),
    "xlsx.too_big": _(
        "the workbook unpacks to more than %(most)s MB; a census needs far less (save only the "
        "census sheet, as values)"
    ),
    "xlsx.too_compressed": _(
        "the workbook is compressed more than %(ratio)s to 1, which no census is; save it "
        "again as .xlsx"
    ),
    "xlsx.encrypted": _("the workbook is encrypted; save it again without a password"),
    "xlsx.compression": _("the workbook uses an unknown compression; save it again as .xlsx"),
    "xlsx.dtd": _("the workbook contains a DTD, which a spreadsheet never has"),
    "xlsx.text_too_long": _("a text is longer than %(most)s characters"),
    "xlsx.too_many_texts": _("the workbook has more than %(most)s texts"),
    "xlsx.too_many_styles": _("the workbook has too many cell styles"),
    "xlsx.not_a_workbook": _("the file is a zip but not a workbook; save it again as .xlsx"),
    "xlsx.too_many_cells": _(
        "the sheet has more than %(most)s cells; delete empty formatted rows and columns, or "
        "save the census as CSV"
    ),
    "xlsx.bad_row_number": _("row number %(number)s is not a spreadsheet row"),
    "xlsx.row_too_many_cells": _("the row has more than %(most)s cells"),
    "xlsx.missing_text": _("the cell refers to text %(text)s, which the workbook lacks"),
    "xlsx.not_a_number": _("'%(text)s' is not a number"),
    "xlsx.not_a_date": _("%(value)s is not a date Excel can show"),
    "xlsx.bad_reference": _("'%(ref)s' is not a cell reference"),
    "xlsx.cell_too_long": _("the cell holds more than %(most)s characters"),
    # --- the new-quote form and the quote page (quoting/web/pages)
    "form.census_file_missing": _(
        "choose a census file (.csv or .xlsx), or type the headcount grid instead"
    ),
    "form.census_file_type": _("the census file must be .csv or .xlsx"),
    "form.census_file_too_large": _("the census file is larger than %(most)s MB"),
    "referral.message_length": _("write a message of 1 to %(most)s characters for the underwriter"),
    "referral.answer_length": _("write an answer of 1 to %(most)s characters for the underwriter"),
    # --- claims and their corrections (quoting/policies/_claims.py)
    "claim.amount_range": _("must be an amount from 0"),
    "claim.amount_cents": _("at most two decimal places"),
    "claim.closed_outstanding": _("a closed claim has nothing outstanding"),
    "claim.close_with_outstanding": _(
        "the claim has %(amount)s outstanding; send outstanding 0 to close it"
    ),
    "claim.correction_empty": _("send the claim's paid, outstanding or status as they stand now"),
}

#: Parameter values that are words of ours rather than the user's (msgspec's types, "the
#: value" for a value not shown): the pages translate them too.
PARAM_WORDS = (
    _("the value"),
    _("text"),
    _("a whole number"),
    _("a number"),
    _("a date (YYYY-MM-DD)"),
    _("a date and time"),
    _("true or false"),
    _("an object"),
    _("a list"),
    _("empty"),
    _(" or "),
)


def message_of(code: str, params: dict[str, object]) -> str:
    """The English message of ``code`` with ``params`` (:class:`KeyError` for a code not in
    :data:`PROBLEM_MESSAGES`: a producer's typo fails at once, in tests)."""
    template = PROBLEM_MESSAGES[code]
    return template % params if params else template
