"""The checker's JSON reader (proofs/checker/jsonread.py) on the inputs its mutants change (issue 13, mutation target
checker-jsonread in tools/mutation.py).

Each case states what the documented limits say (module docstring; docs/certificates.md): strings are skipped by the
pre-scan however they are escaped, a bare value is at most 12 characters wherever it starts, only brackets and braces
nest, and every refusal names the problem exactly (the field, the offset, the number). Expected texts are written by
hand from those rules and from the standard library's JSON messages, never read back from the reader.
"""
from __future__ import annotations

import pytest

from implicitreg.proofs.checker.jsonread import InputError, loads


def refusal(data) -> str:
    with pytest.raises(InputError) as exc:
        loads(data)
    return str(exc.value)


# --- the pre-scan's string state: brackets inside strings never nest ------------------------------------------------

DEEP = "[" * 20  # 20 brackets: past the nesting limit of 16 if they were read outside a string


def test_brackets_inside_a_string_after_an_empty_string_are_text():
    assert loads('["", "' + DEEP + '"]') == ["", DEEP]


def test_brackets_inside_a_string_after_an_escaped_backslash_are_text():
    # "a\\" is a and one backslash; the quote after the pair closes the string
    assert loads('["a\\\\", "' + DEEP + '"]') == ["a\\", DEEP]


def test_brackets_inside_a_string_after_an_escaped_quote_are_text():
    assert loads('["\\"", "' + DEEP + '"]') == ['"', DEEP]


# --- nesting: counted up and down ----------------------------------------------------------------------------------

def test_siblings_do_not_add_to_the_depth():
    assert loads("[" + "[], " * 20 + "[]]") == [[]] * 21
    assert loads("[" * 15 + "[]," * 3 + "[]" + "]" * 15) is not None


def test_depth_after_a_close_is_one_less_not_reset():
    # 16 opens (offsets 0-15), a close (16: 15 open), a comma (17), then opens at 18 (16 levels) and 19 (17 levels)
    text = "[" * 16 + "],[[]]" + "]" * 15
    assert refusal(text) == "(json): nesting deeper than 16 levels at offset 19"


# --- bare values: 12 characters wherever they start -----------------------------------------------------------------

def test_a_top_level_number_of_12_digits_is_read():
    assert loads("123456789012") == 123456789012
    assert refusal("1234567890123") == ("(json): a bare value longer than 12 characters at offset 0 (numbers are "
                                       "strings in a certificate)")


def test_a_number_after_a_comma_and_space_may_have_12_digits():
    assert loads("[0, 123456789012]") == [0, 123456789012]
    assert loads('{"a":\t123456789012}') == {"a": 123456789012}
    assert loads("[0,\r\n123456789012]") == [0, 123456789012]


def test_the_offset_of_a_long_bare_value_is_where_it_starts():
    assert refusal('{"k": 1234567890123}') == ("(json): a bare value longer than 12 characters at offset 6 (numbers "
                                              "are strings in a certificate)")


def test_a_bare_run_of_letters_is_a_bare_value_not_nesting():
    # letters outside strings are neither brackets nor separators: one bare value, refused at its 13th character
    assert refusal("[" + "X" * 20 + "]") == ("(json): a bare value longer than 12 characters at offset 1 (numbers "
                                             "are strings in a certificate)")


def test_a_bare_value_right_after_a_close_or_a_string_starts_from_zero():
    # 12 characters after "]" or after a closing quote pass the pre-scan; JSON then refuses the syntax
    assert refusal("[]123456789012") == "(json): not valid JSON: Extra data (line 1, column 3)"
    assert refusal('["a"123456789012]') == "(json): not valid JSON: Expecting ',' delimiter (line 1, column 5)"
    assert refusal("[]1") == "(json): not valid JSON: Extra data (line 1, column 3)"


def test_a_syntax_error_names_its_line_and_column():
    assert refusal("[1\n 2]") == "(json): not valid JSON: Expecting ',' delimiter (line 2, column 2)"


# --- strings: the limit counts the characters between the quotes ----------------------------------------------------

def test_a_long_string_is_refused_with_its_length_and_offset():
    assert refusal('{"x": "' + "a" * 8001 + '"}') == ("(json): a string of 8001 characters at offset 6 "
                                                       "(limit 8000)")


def test_an_unterminated_string_is_measured_from_its_own_quote():
    # 8000 characters after the quote: within the limit, so JSON's own message
    assert refusal('["' + "a" * 8000) == "(json): not valid JSON: Unterminated string starting at (line 1, column 2)"
    assert refusal('["' + "a" * 8001) == "(json): a string of more than 8000 characters"
    # a long document whose strings are closed is not an unterminated string
    long_tail = '["a", ' + "1, " * 3000 + "1]"
    assert loads(long_tail) == ["a"] + [1] * 3001


# --- the json hooks -------------------------------------------------------------------------------------------------

def test_floats_and_constants_are_refused_by_name():
    assert refusal("[1.5]") == "(json): bare JSON number 1.5 (certificates store numbers as strings)"
    assert refusal("[-2e3]") == "(json): bare JSON number -2e3 (certificates store numbers as strings)"
    assert refusal("[NaN]") == "(json): NaN is not allowed"
    assert refusal("[-Infinity]") == "(json): -Infinity is not allowed"


def test_a_duplicate_key_is_named_up_to_40_characters():
    key = "k" * 50
    assert refusal('{"%s": "1", "%s": "2"}' % (key, key)) == f"(json): duplicate key '{'k' * 40}' in one object"
    assert loads('{"a": "1", "b": {"a": "2"}}') == {"a": "1", "b": {"a": "2"}}


# --- the input's type, size and encoding ----------------------------------------------------------------------------

def test_bytes_bytearray_and_text_are_read_alike():
    assert loads(b'{"a": [1, "x"]}') == loads(bytearray(b'{"a": [1, "x"]}')) == loads('{"a": [1, "x"]}') \
        == {"a": [1, "x"]}


def test_size_and_encoding_refusals_name_the_file():
    limit = 512 * 1024
    assert refusal(b" " * (limit + 1)) == f"(file): {limit + 1} bytes (limit {limit})"
    assert refusal(bytearray(b" " * (limit + 3))) == f"(file): {limit + 3} bytes (limit {limit})"
    assert refusal(" " * (limit + 2)) == f"(file): {limit + 2} characters (limit {limit})"
    assert refusal(b'["ab\xff"]') == "(file): not UTF-8 (byte 4)"
    assert refusal(None) == "(file): expected bytes or text, got NoneType"
    assert refusal(["[]"]) == "(file): expected bytes or text, got list"


# --- the hooks on their own: the second line behind the pre-scan ----------------------------------------------------
# The pre-scan refuses long bare values and deep nesting before json runs, so the hooks' own limits are only reached
# if the pre-scan misses something; with it switched off they must still refuse, each with its own message.

@pytest.fixture
def no_prescan(monkeypatch):
    from implicitreg.proofs.checker import jsonread

    monkeypatch.setattr(jsonread, "_prescan", lambda text: None)


def test_without_the_prescan_a_long_integer_is_refused_by_its_hook(no_prescan):
    assert refusal("[1234567890123]") == "(json): integer of 13 digits"
    assert loads("[123456789012]") == [123456789012]


def test_without_the_prescan_deep_nesting_is_refused_not_a_crash(no_prescan):
    # far beyond any interpreter's recursion limit for json's scanner
    assert refusal("[" * 100_000 + "]" * 100_000) == "(json): nesting too deep"


def test_without_the_prescan_a_long_float_is_named_by_its_first_20_characters(no_prescan):
    assert refusal("[1." + "0" * 30 + "]") == ("(json): bare JSON number 1.000000000000000000 (certificates store "
                                              "numbers as strings)")
