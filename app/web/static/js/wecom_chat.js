/* Guide's customer page (community/guide/wecom_customer.html): #open-chat opens the WeCom
   chat with the customer through WeCom's JS-SDK (wx.openEnterpriseChat with
   externalUserIds) inside WeCom; elsewhere it says how to find the customer. */
(function () {
  "use strict";
  var button = document.getElementById("open-chat");
  if (!button) { return; }
  var note = document.getElementById("chat-note");
  button.addEventListener("click", function () {
    var external = button.dataset.externalUserid;
    if (window.wx && typeof window.wx.openEnterpriseChat === "function") {
      window.wx.openEnterpriseChat({
        userIds: "",
        externalUserIds: external,
        groupName: "",
        fail: function () { note.textContent = button.dataset.fallbackText; }
      });
      return;
    }
    note.textContent = button.dataset.fallbackText;
  });
})();
