"""Command-line overrides: values, +/++/~, groups, quoting, collections."""

from __future__ import annotations

from ._harness import CONFIG_ERROR, HYDRA_1_4, OK, Case, check
from ._projects import tree

_RICH = tree(
    """\
    defaults:
      - db: mysql
      - _self_
    x: 1
    name: demo
    tags: [a]
    opts:
      a: 1
      b: 2
    """
)

CASES = [
    Case("set_values", _RICH, overrides=["x=2", "name=other"]),
    Case("set_nested_values", _RICH, overrides=["db.port=1234", "db.host=h.example"]),
    Case("plus_new_keys", _RICH, overrides=["+new_key=5", "+nested.a.b=c"]),
    Case("plusplus_existing", _RICH, overrides=["++x=9", "++db.port=9999"]),
    Case("plusplus_new", _RICH, overrides=["++fresh=yes", "++db.user=root"]),
    Case("delete_key", _RICH, overrides=["~db.port"]),
    Case("delete_key_matching_value", _RICH, overrides=["~db.port=3306", "~tags"]),
    Case("delete_group", _RICH, overrides=["~db"]),
    Case("delete_group_with_option", _RICH, overrides=["~db=mysql"]),
    Case("plus_group_not_in_defaults", _RICH, overrides=["+site=local"]),
    Case("group_switch", _RICH, overrides=["db=pg"]),
    Case("group_switch_then_value", _RICH, overrides=["db=pg", "db.port=1", "+db.ssl=true"]),
    Case("quoted_comma_string", _RICH, overrides=["x='a,b'"]),
    Case("quoted_spaces", _RICH, overrides=["x='a b'", 'name="double quoted"']),
    Case(
        "backslash_escapes",
        _RICH,
        overrides=[r"x=a\,b\ c", r"name='it\'s'", r"+path=C:\\dir", r"+eq=k\=v"],
    ),
    Case("escaped_interpolation", _RICH, overrides=[r"x=\${name}", r"+lit='\${db.host}'"]),
    Case(
        "interpolation_from_cli",
        _RICH,
        overrides=["x=${name}", "+addr='${db.host}:${db.port}'", "+n=${db.port}"],
    ),
    Case("list_value", _RICH, overrides=["x=[1,2,3]", "tags=[]"]),
    Case("dict_value", _RICH, overrides=["+d={a:1,b:[2,3]}", "+e={}"]),
    Case("nested_collections", _RICH, overrides=["+l=[{a:1},{b:[x,y]}]", "+m={k:{z:[1,{q:r}]}}"]),
    Case(
        "primitive_types",
        _RICH,
        overrides=["x=1.5", "name=true", "+n=null", "+e=''", "+big=1e3", "+neg=-5", "+inf=inf"],
    ),
    Case(
        "cast_functions",
        _RICH,
        overrides=["x=str(5)", "+f=float(2)", "+i=int(3.7)", "+b=bool(1)", "+s=sort([3,1,2])"],
    ),
    # Neither is accepted by Hydra 1.3.8: extend_list() is not in its grammar, and a dict
    # override cannot add keys to a struct node.
    # Hydra 1.4 has extend_list() (deprecated there already).
    Case("extend_list_unknown_function", _RICH, overrides=["tags=extend_list(b,c)"],
         expect=OK if HYDRA_1_4 else CONFIG_ERROR),
    Case("dict_merge_adding_key", _RICH, overrides=["opts={c:3}"], expect=CONFIG_ERROR),
    Case("dict_merge_into_existing", _RICH, overrides=["opts={a:5}"]),
    Case("group_list_of_options", _RICH, overrides=["db=[mysql,sqlite]"]),
    Case("unicode_and_equals", _RICH, overrides=["name='héllo wörld'", "+url='a=b&c=d'"]),
    Case("override_order_last_wins", _RICH, overrides=["x=1", "x=2", "db=pg", "db=sqlite"]),
]


def test_overrides(case, project):
    check(case, project)
