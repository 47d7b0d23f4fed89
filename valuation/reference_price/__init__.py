"""The reference price (参考价): its methods, the online inquiry, objections and validity."""
