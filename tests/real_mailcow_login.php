<?php
// mailcowauth.php's decision, from the real server's own functions (the [real] half of
// tests/contract/test_mailcowauth.py): apppass_login(), then user_login(), with is_internal set.
// argv[1]: the server's web/inc directory; the request comes on stdin as JSON, so no password is on a command line.
$in = json_decode(stream_get_contents(STDIN), true);
$inc = $argv[1];
require_once "$inc/vars.inc.php";
$pdo = new PDO("mysql:unix_socket=$database_sock;dbname=$database_name", $database_user, $database_pass,
  [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION, PDO::ATTR_DEFAULT_FETCH_MODE => PDO::FETCH_ASSOC]);
require_once "$inc/functions.inc.php";
require_once "$inc/functions.auth.inc.php";
$extra = ['service' => $in['service'], 'is_internal' => true];
$accepted = apppass_login($in['username'], $in['password'], $extra) !== false
  || user_login($in['username'], $in['password'], $extra) !== false;
echo $accepted ? "accepted" : "refused";
