"""From the hammer to the new title: the balance, 悔拍, the one window, the sale ruling and the notice to the
registry, the transfer of registration and the handover at the center (拍卖变卖规定 Art. 20, 27; 网拍规定
Art. 24, 25; 登记规定 Art. 25–30, 90)."""
