"""mariadb_ctypes.py - minimal libmariadb client over ctypes for the probe scripts (no driver needed)."""
import ctypes, ctypes.util
L = ctypes.CDLL("libmariadb.so.3")
L.mysql_init.restype = ctypes.c_void_p; L.mysql_init.argtypes=[ctypes.c_void_p]
L.mysql_real_connect.restype = ctypes.c_void_p
L.mysql_real_connect.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_uint, ctypes.c_char_p, ctypes.c_ulong]
L.mysql_query.argtypes=[ctypes.c_void_p, ctypes.c_char_p]
L.mysql_store_result.restype=ctypes.c_void_p; L.mysql_store_result.argtypes=[ctypes.c_void_p]
L.mysql_fetch_row.restype=ctypes.POINTER(ctypes.c_char_p); L.mysql_fetch_row.argtypes=[ctypes.c_void_p]
L.mysql_num_fields.restype=ctypes.c_uint; L.mysql_num_fields.argtypes=[ctypes.c_void_p]
L.mysql_free_result.argtypes=[ctypes.c_void_p]
L.mysql_errno.restype=ctypes.c_uint; L.mysql_errno.argtypes=[ctypes.c_void_p]
L.mysql_error.restype=ctypes.c_char_p; L.mysql_error.argtypes=[ctypes.c_void_p]
L.mysql_close.argtypes=[ctypes.c_void_p]
L.mysql_set_character_set.argtypes=[ctypes.c_void_p, ctypes.c_char_p]
class Err(Exception):
    def __init__(s, no, msg): s.no=no; s.msg=msg; super().__init__("%d %s"%(no,msg))
class Conn:
    def __init__(s, port, db=None):
        s.m = L.mysql_init(None)
        if not L.mysql_real_connect(s.m, b"127.0.0.1", b"root", b"", db.encode() if db else None, port, None, 0):
            raise Err(L.mysql_errno(s.m), L.mysql_error(s.m))
        L.mysql_set_character_set(s.m, b"utf8mb4")
    def q(s, sql):
        if L.mysql_query(s.m, sql.encode() if isinstance(sql,str) else sql) != 0:
            raise Err(L.mysql_errno(s.m), L.mysql_error(s.m).decode(errors='replace'))
        r = L.mysql_store_result(s.m)
        if not r: return []
        n = L.mysql_num_fields(r); rows=[]
        while True:
            row = L.mysql_fetch_row(r)
            if not row: break
            rows.append(tuple(row[i] for i in range(n)))
        L.mysql_free_result(r)
        return rows
    def close(s): L.mysql_close(s.m)
