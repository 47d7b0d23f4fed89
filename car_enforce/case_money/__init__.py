"""The case's money (一案一账号): what came in, what it cost, how it is shared out and paid."""
