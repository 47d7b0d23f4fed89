// The capture form in the field: picking an alert fills the plate and the place the camera saw it at, and
// the phone's own position can fill the place. Without this script the server does the first from the
// alert's id, and the coordinates are typed.
(function () {
  const form = document.getElementById("capture");
  if (!form) return;
  const pick = document.getElementById("alert");
  const set = (name, value) => { const field = form.elements[name]; if (field && value) field.value = value; };
  pick.addEventListener("change", function () {
    const chosen = pick.selectedOptions[0];
    if (!chosen || !chosen.value) return;
    set("plate", chosen.dataset.plate);
    set("plate_colour", chosen.dataset.colour);
    if (chosen.dataset.lon && chosen.dataset.lat) {
      set("lon", chosen.dataset.lon);
      set("lat", chosen.dataset.lat);
      set("datum", "WGS84");  // alerts are placed in WGS84
    }
    if (!form.elements.address.value) set("address", chosen.dataset.address);
  });
  const button = document.getElementById("locate");
  const state = document.getElementById("locate-state");
  button.addEventListener("click", function () {
    if (!navigator.geolocation) { state.textContent = "此浏览器不支持定位，请手工填写经纬度"; return; }
    state.textContent = "正在定位…";
    navigator.geolocation.getCurrentPosition(function (where) {
      set("lon", where.coords.longitude.toFixed(6));
      set("lat", where.coords.latitude.toFixed(6));
      set("datum", "WGS84");  // a phone's satellite fix
      state.textContent = "已定位（精度约 " + Math.round(where.coords.accuracy) + " 米）";
    }, function () {
      state.textContent = "无法定位（需允许定位，且须通过 HTTPS 访问），请手工填写经纬度";
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  });
})();
